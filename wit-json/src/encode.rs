//! WIT values to JSON: what the plugin returned, as structured content.
//!
//! The exact inverse of [`crate::decode`], in the forms the table on
//! [`Type`] gives, except that floats JSON has no number for are the
//! strings `"NaN"`, `"Infinity"` and `"-Infinity"` (which decoding, for
//! arguments, refuses). An integral float within ±2^53 is written as a JSON
//! integer (`425`, not `425.0`): the same number, as other servers print it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value as Json};

use crate::numbers::{f32_json, float_json};
use crate::{Type, Value};

/// What a call's result means for the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The structured content (shaped as [`crate::schema::output`] says);
    /// `None` for a function that returns nothing.
    Done(Option<Map<String, Json>>),
    /// The function returned `result::err`: a tool error, rendered for a
    /// model (a string as itself, an enum as its case, anything else as
    /// JSON text).
    Failed(String),
}

/// The outcome of a function returning `result` (of type `ty`).
///
/// A top-level `result<T, E>` is unwrapped: `ok` is the structured content
/// of `T` (nothing for `ok` without a payload), `err` is
/// [`Outcome::Failed`]: a string as itself, an enum as its case, a variant
/// case without payload as its name, anything else as compact JSON text.
pub fn outcome(ty: Option<&Type>, result: Option<&Value>) -> Outcome {
    let Some(result) = result else {
        return Outcome::Done(None);
    };
    match (ty, result) {
        (Some(Type::Result { ok, err }), Value::Result(outcome)) => match outcome {
            Ok(None) => Outcome::Done(None),
            Ok(Some(value)) => Outcome::Done(Some(structured(ok.as_deref(), value))),
            Err(error) => Outcome::Failed(rendered(err.as_deref(), error.as_deref())),
        },
        (ty, value) => Outcome::Done(Some(structured(ty, value))),
    }
}

/// `value` (of type `ty`) as JSON.
pub fn value(ty: &Type, value: &Value) -> Json {
    encode(Some(ty), value)
}

/// The structured content of `value`: a record is the object itself,
/// anything else is `{"result": …}`.
fn structured(ty: Option<&Type>, value: &Value) -> Map<String, Json> {
    match encode(ty, value) {
        Json::Object(record) if matches!(value, Value::Record(_)) => record,
        json => {
            let mut wrapped = Map::new();
            wrapped.insert("result".into(), json);
            wrapped
        }
    }
}

/// An `err` for a model to read.
fn rendered(ty: Option<&Type>, error: Option<&Value>) -> String {
    match error {
        None => "the tool failed and gave no detail (`err` without a payload)".into(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Enum(case) | Value::Variant(case, None)) => case.clone(),
        Some(error) => encode(ty, error).to_string(),
    }
}

/// `value` as JSON. The shape follows the value; the type (where known and
/// matching) only tells `list<u8>` from other lists, so a value that does
/// not match its type (a host bug) still encodes, and nothing here panics.
fn encode(ty: Option<&Type>, value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::S8(n) => Json::from(*n),
        Value::U8(n) => Json::from(*n),
        Value::S16(n) => Json::from(*n),
        Value::U16(n) => Json::from(*n),
        Value::S32(n) => Json::from(*n),
        Value::U32(n) => Json::from(*n),
        Value::S64(n) => Json::from(*n),
        Value::U64(n) => Json::from(*n),
        Value::F32(f) => f32_json(*f),
        Value::F64(f) => float_json(*f),
        Value::Char(c) => Json::from(c.to_string()),
        Value::String(s) => Json::from(s.as_str()),
        Value::List(items) => {
            let item = match ty {
                Some(Type::List(item)) => Some(&**item),
                _ => None,
            };
            match item {
                Some(Type::U8) => bytes(items).unwrap_or_else(|| list(None, items)),
                item => list(item, items),
            }
        }
        Value::Tuple(items) => {
            let types = match ty {
                Some(Type::Tuple(types)) => types.as_slice(),
                _ => &[],
            };
            Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| encode(types.get(i), v))
                    .collect(),
            )
        }
        Value::Record(fields) => {
            let types = match ty {
                Some(Type::Record(types)) => types.as_slice(),
                _ => &[],
            };
            let field_type = |i: usize, name: &str| {
                // The value lists the fields in the type's order.
                let field = types.get(i).filter(|f| f.name == name);
                field
                    .or_else(|| types.iter().find(|f| f.name == name))
                    .map(|f| &f.ty)
            };
            let fields = fields.iter().enumerate();
            Json::Object(
                fields
                    .map(|(i, (name, v))| (name.clone(), encode(field_type(i, name), v)))
                    .collect(),
            )
        }
        Value::Variant(case, payload) => {
            let payload_type = match ty {
                Some(Type::Variant(cases)) => cases
                    .iter()
                    .find(|c| c.name == *case)
                    .and_then(|c| c.ty.as_ref()),
                _ => None,
            };
            one_key(case, payload_type, payload.as_deref())
        }
        Value::Enum(case) => Json::from(case.as_str()),
        Value::Flags(flags) => Json::Array(flags.iter().map(|f| Json::from(f.as_str())).collect()),
        Value::Option(None) => Json::Null,
        Value::Option(Some(inner)) => {
            let inner_type = match ty {
                Some(Type::Option(inner)) => Some(&**inner),
                _ => None,
            };
            match **inner {
                // The outer `some` of `option<option<T>>`, apart from `null`.
                Value::Option(_) => one_key("some", inner_type, Some(inner)),
                _ => encode(inner_type, inner),
            }
        }
        Value::Result(result) => {
            let (ok, err) = match ty {
                Some(Type::Result { ok, err }) => (ok.as_deref(), err.as_deref()),
                _ => (None, None),
            };
            match result {
                Ok(payload) => one_key("ok", ok, payload.as_deref()),
                Err(payload) => one_key("err", err, payload.as_deref()),
            }
        }
    }
}

/// `{key: payload}`, `null` for no payload.
fn one_key(key: &str, ty: Option<&Type>, payload: Option<&Value>) -> Json {
    let mut object = Map::new();
    object.insert(key.into(), payload.map_or(Json::Null, |v| encode(ty, v)));
    Json::Object(object)
}

fn list(item: Option<&Type>, items: &[Value]) -> Json {
    Json::Array(items.iter().map(|v| encode(item, v)).collect())
}

/// `list<u8>` as base64 (standard alphabet, padded); `None` if an item is
/// not a `u8`.
fn bytes(items: &[Value]) -> Option<Json> {
    let bytes: Option<Vec<u8>> = items
        .iter()
        .map(|v| if let Value::U8(b) = v { Some(*b) } else { None })
        .collect();
    Some(Json::from(STANDARD.encode(bytes?)))
}
