//! A token's claims (JSON) as a Cedar record.
//!
//! Strings, booleans, integers (that fit an `i64`), arrays (as sets) and
//! objects (as records) are kept; floats and nulls have no Cedar value and
//! are dropped, as is an integer past `i64`. The claims come from a token
//! the authorization server signed, yet a policy decision must not cost
//! without bound whatever a token holds: nesting past [`MAX_DEPTH`] is
//! dropped, and at most [`MAX_VALUES`] values are converted in all (the
//! rest dropped), so a token with a huge `groups` set costs a bounded
//! conversion.

use cedar_policy::RestrictedExpression;
use serde_json::{Map, Value};

/// How deep claims nest before deeper values are dropped: the claims
/// record itself is depth 1. Real tokens nest two or three levels
/// (`realm_access.roles`); this stops a token built to make every decision
/// walk a deep tree.
pub const MAX_DEPTH: usize = 8;

/// How many values (of every depth) are converted before the rest are
/// dropped. Real tokens carry tens; this stops a token with a set of a
/// million groups from costing every decision a million conversions.
pub const MAX_VALUES: usize = 4096;

/// The claims as a Cedar record.
pub fn record(claims: &Map<String, Value>) -> RestrictedExpression {
    let mut budget = MAX_VALUES;
    object(claims, 1, &mut budget)
}

fn object(map: &Map<String, Value>, depth: usize, budget: &mut usize) -> RestrictedExpression {
    let fields: Vec<(String, RestrictedExpression)> = map
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), convert(value, depth + 1, budget)?)))
        .collect();
    RestrictedExpression::new_record(fields).expect("a JSON object's keys are unique")
}

/// One value, or `None` when it has no Cedar value, is too deep, or the
/// budget is spent.
fn convert(value: &Value, depth: usize, budget: &mut usize) -> Option<RestrictedExpression> {
    if depth > MAX_DEPTH || *budget == 0 {
        return None;
    }
    let converted = match value {
        Value::Null => return None,
        Value::Bool(b) => RestrictedExpression::new_bool(*b),
        Value::Number(n) => RestrictedExpression::new_long(n.as_i64()?),
        Value::String(s) => RestrictedExpression::new_string(s.clone()),
        Value::Array(items) => {
            *budget -= 1;
            let items: Vec<_> = items
                .iter()
                .map_while(|item| (*budget > 0).then(|| convert(item, depth + 1, budget)))
                .flatten()
                .collect();
            return Some(RestrictedExpression::new_set(items));
        }
        Value::Object(map) => {
            *budget -= 1;
            return Some(object(map, depth, budget));
        }
    };
    *budget -= 1;
    Some(converted)
}
