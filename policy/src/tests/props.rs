//! Properties: any claims convert without panicking, and a forbid always
//! wins over a permit whatever the caller and target.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{policy, principal, tool};
use crate::Kind;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(12, 256, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn any_claims_convert_and_decide(claims in prop::collection::btree_map("[a-z]{1,4}", json(), 0..6)) {
        let claims = Value::Object(claims.into_iter().collect());
        let p = policy("permit(principal, action, resource) when { principal.claims has a && principal.claims.a == 1 };");
        let who = principal("x", Kind::OAuth, &[], claims.clone());
        let expected = claims.get("a").and_then(Value::as_i64) == Some(1);
        prop_assert_eq!(p.allows(&who, &tool("t", "p")), expected);
    }

    #[test]
    fn forbid_wins(name in ".{0,20}", plugin in ".{0,20}", who in ".{0,20}") {
        let p = policy("permit(principal, action, resource);\nforbid(principal, action, resource is Moat::Tool) when { resource.name == resource.name };");
        let caller = principal(&who, Kind::Token, &[], Value::Null);
        prop_assert!(!p.decide(&caller, &tool(&name, &plugin)).allowed);
    }
}
