//! JSON Schemas (2020-12, the dialect MCP uses) of a function's arguments
//! and result.
//!
//! Every schema is exact: a JSON value validates against the input schema
//! of a type if and only if [`crate::decode`] accepts it (the property tests
//! check both ways), with one deliberate difference: an integer written
//! with a fraction or exponent beyond ±2^53 (`1e19`) validates but is
//! refused, because the JSON reader may already have rounded it.
//!
//! Choices made once, the same everywhere:
//! - `option<T>` is `{"anyOf": [T, {"type": "null"}]}` (never `"type": [.., "null"]`,
//!   which only plain types could use); `option<option<T>>` wraps the outer
//!   `some` as `{"some": …}`, which no inner value can be mistaken for.
//! - `list<u8>` is a base64 string (standard alphabet, padded;
//!   `contentEncoding: base64`): the usual JSON form of bytes, as in
//!   protobuf's JSON mapping, and a third the size of an array of numbers.
//!   Its `pattern` admits exactly the canonical encodings decoding accepts.
//! - Integers carry their exact `minimum`/`maximum` as JSON integers; `f32`
//!   carries its finite range.
//! - The empty tuple, empty flags and caseless enums/variants (which WIT
//!   itself forbids, but a hand-made component may declare) get schemas
//!   that are still valid 2020-12 (`prefixItems`, `enum` and `oneOf` may
//!   not be empty).
//!
//! Types are trees (WIT has no recursive types), so schemas are inlined,
//! with no `$ref`; the component validator bounds a type's depth (100) and
//! size (10^6), which bounds the schema.

use serde_json::{Map, Value as Json, json};

use crate::numbers::{NON_FINITE, f32_bounds, int_json, int_range};
use crate::{Param, Type};

/// Which way a value goes: the schemas differ only in floats, which a
/// result may also give as `"NaN"`, `"Infinity"` or `"-Infinity"`, and an
/// argument never may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Arguments, decoded by [`crate::decode`].
    Input,
    /// Results, encoded by [`crate::encode`].
    Output,
}

/// Canonical padded base64 in the standard alphabet, exactly what
/// [`crate::decode`] accepts: the last group's unused bits must be zero
/// (`QQ==`, never `QR==`), so each byte string has one form.
pub(crate) const BASE64_PATTERN: &str =
    "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

/// The schema of the arguments object: one property per parameter, the
/// non-option ones required, no others allowed.
pub fn input(params: &[Param]) -> Map<String, Json> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for param in params {
        let schema = of(&param.ty, Direction::Input);
        properties.insert(param.name.clone(), described(schema, param.docs.as_deref()));
        if !matches!(param.ty, Type::Option(_)) {
            required.push(Json::from(param.name.as_str()));
        }
    }
    object(properties, required)
}

/// The schema of the structured result, `None` for a function that returns
/// nothing. A record is the object itself; any other type is wrapped as
/// `{"result": …}`. For `result<T, E>` it is the schema of `T` (wrapped the
/// same way): an `err` is a tool error, not structured content. For
/// `result<_, E>` it is `None`: a success carries nothing to structure.
pub fn output(result: Option<&Type>) -> Option<Map<String, Json>> {
    let ty = match result? {
        Type::Result { ok, .. } => ok.as_deref()?,
        ty => ty,
    };
    Some(structured(ty))
}

/// The schema of the structured content of a value of `ty`: the record
/// itself, or `{"result": …}`.
fn structured(ty: &Type) -> Map<String, Json> {
    match of(ty, Direction::Output) {
        Json::Object(record) if matches!(ty, Type::Record(_)) => record,
        schema => {
            let mut properties = Map::new();
            properties.insert("result".into(), schema);
            object(properties, vec![Json::from("result")])
        }
    }
}

/// The schema of a value of `ty` going `direction`.
pub(crate) fn of(ty: &Type, direction: Direction) -> Json {
    match ty {
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64 => {
            let (min, max) = int_range(ty).unwrap_or_default();
            json!({"type": "integer", "minimum": int_json(min), "maximum": int_json(max)})
        }
        Type::Bool => json!({"type": "boolean"}),
        Type::F32 => {
            let (min, max) = f32_bounds();
            float(
                json!({"type": "number", "minimum": min, "maximum": max}),
                direction,
            )
        }
        Type::F64 => float(json!({"type": "number"}), direction),
        Type::Char => json!({"type": "string", "minLength": 1, "maxLength": 1}),
        Type::String => json!({"type": "string"}),
        // Bytes as base64: see the module's doc for why.
        Type::List(item) if **item == Type::U8 => {
            json!({"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN})
        }
        Type::List(item) => json!({"type": "array", "items": of(item, direction)}),
        Type::Tuple(items) => tuple(items, direction),
        Type::Record(fields) => {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for field in fields {
                let schema = described(of(&field.ty, direction), field.docs.as_deref());
                properties.insert(field.name.clone(), schema);
                if !matches!(field.ty, Type::Option(_)) {
                    required.push(Json::from(field.name.as_str()));
                }
            }
            Json::Object(object(properties, required))
        }
        Type::Variant(cases) => one_of(cases.iter().map(|case| {
            let payload = case.ty.as_ref().map(|ty| of(ty, direction));
            described(one_key(&case.name, payload), case.docs.as_deref())
        })),
        Type::Result { ok, err } => one_of(
            [("ok", ok), ("err", err)]
                .into_iter()
                .map(|(key, ty)| one_key(key, ty.as_deref().map(|ty| of(ty, direction)))),
        ),
        Type::Enum(cases) if cases.is_empty() => nothing(),
        Type::Enum(cases) => json!({"type": "string", "enum": cases}),
        Type::Flags(flags) if flags.is_empty() => json!({"type": "array", "maxItems": 0}),
        Type::Flags(flags) => {
            json!({"type": "array", "items": {"enum": flags}, "uniqueItems": true})
        }
        Type::Option(inner) => {
            // `null` is the outer `none`; where the inner type can itself be
            // `null`, the outer `some` is `{"some": …}` to keep them apart.
            let some = match **inner {
                Type::Option(_) => one_key("some", Some(of(inner, direction))),
                _ => of(inner, direction),
            };
            json!({"anyOf": [some, {"type": "null"}]})
        }
    }
}

/// A float's schema; a result's may also be one of the non-finite strings.
fn float(number: Json, direction: Direction) -> Json {
    match direction {
        Direction::Input => number,
        Direction::Output => json!({"anyOf": [number, {"type": "string", "enum": NON_FINITE}]}),
    }
}

/// A tuple: exactly its items, in order. `prefixItems` must not be empty,
/// so the empty tuple is the empty array.
fn tuple(items: &[Type], direction: Direction) -> Json {
    if items.is_empty() {
        return json!({"type": "array", "maxItems": 0});
    }
    let prefix: Vec<Json> = items.iter().map(|ty| of(ty, direction)).collect();
    let n = items.len();
    json!({"type": "array", "prefixItems": prefix, "items": false, "minItems": n, "maxItems": n})
}

/// An object with exactly `properties`, `required` among them.
fn object(properties: Map<String, Json>, required: Vec<Json>) -> Map<String, Json> {
    let mut schema = Map::new();
    schema.insert("type".into(), Json::from("object"));
    schema.insert("properties".into(), Json::Object(properties));
    schema.insert("required".into(), Json::Array(required));
    schema.insert("additionalProperties".into(), Json::Bool(false));
    schema
}

/// An object with the one key `key`, holding `payload` (`null` for none).
fn one_key(key: &str, payload: Option<Json>) -> Json {
    let mut properties = Map::new();
    properties.insert(
        key.into(),
        payload.unwrap_or_else(|| json!({"type": "null"})),
    );
    Json::Object(object(properties, vec![Json::from(key)]))
}

/// Exactly one of `schemas` (`oneOf` must not be empty: none of none is
/// nothing).
fn one_of(schemas: impl Iterator<Item = Json>) -> Json {
    let schemas: Vec<Json> = schemas.collect();
    if schemas.is_empty() {
        return nothing();
    }
    json!({"oneOf": schemas})
}

/// The schema no value fits: an enum or variant without cases, which WIT
/// does not allow but a hand-made component could declare.
fn nothing() -> Json {
    json!({"not": {}})
}

/// `schema` with `docs` as its description, if there are any.
fn described(mut schema: Json, docs: Option<&str>) -> Json {
    if let (Some(docs), Json::Object(map)) = (docs, &mut schema) {
        let docs = docs.trim();
        if !docs.is_empty() {
            map.insert("description".into(), Json::from(docs));
        }
    }
    schema
}
