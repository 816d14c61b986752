//! JSON to WIT values: the client's arguments, checked against the types.
//!
//! Strict and exact: a value is accepted only in the one form
//! [`crate::encode`] gives it (integers may also be written `3.0` or `1e3`,
//! as JSON Schema's `integer` allows), and each refusal names where and what.
//!
//! Decoding walks the type and looks into the JSON only where the type
//! says, so its recursion is bounded by the type's depth (at most 100, the
//! component validator's limit), never by the input's: a thousand nested
//! arrays where a `string` is expected is refused at the first one.

mod fail;
mod scalar;

use serde_json::{Map, Value as Json};

use crate::{Case, Field, Mismatch, Param, Type, Value};
use fail::{Fail, count, expected, got, list, shown, unknown_key};
use scalar::{bytes, char_value, f32_value, float, integer};

/// The arguments object as the function's parameters, in order. A missing
/// or `null` option parameter is `none`; anything else missing, any
/// property that is not a parameter, and any value that does not fit its
/// type is a [`Mismatch`] naming where.
pub fn arguments(params: &[Param], arguments: &Map<String, Json>) -> Result<Vec<Value>, Mismatch> {
    let names = || params.iter().map(|p| p.name.as_str());
    let unknown = |key| {
        let key = shown(key);
        format!("unknown argument `{key}`; arguments are: {}", list(names()))
    };
    let mut values = Vec::with_capacity(params.len());
    let mut found = 0;
    for param in params {
        let value = match arguments.get(&param.name) {
            Some(json) => {
                found += 1;
                decode(&param.ty, json).map_err(|fail| fail.at(&param.name).into_mismatch(""))?
            }
            None if matches!(param.ty, Type::Option(_)) => Value::Option(None),
            None => {
                let problem = match unknown_key(arguments, names) {
                    Some(key) => unknown(key),
                    None => format!("missing required argument `{}`", param.name),
                };
                return Err(Fail::here(problem).into_mismatch(""));
            }
        };
        values.push(value);
    }
    match (found < arguments.len())
        .then(|| unknown_key(arguments, names))
        .flatten()
    {
        Some(key) => Err(Fail::here(unknown(key)).into_mismatch("")),
        None => Ok(values),
    }
}

/// `json` as a value of `ty`; `path` is where it sits, for the error.
pub fn value(ty: &Type, json: &Json, path: &str) -> Result<Value, Mismatch> {
    decode(ty, json).map_err(|fail| fail.into_mismatch(path))
}

fn decode(ty: &Type, json: &Json) -> Result<Value, Fail> {
    match ty {
        Type::Bool => json
            .as_bool()
            .map(Value::Bool)
            .map_or_else(|| expected("a boolean", json), Ok),
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64 => integer(ty, json),
        Type::F32 => f32_value(json),
        Type::F64 => float(json).map(Value::F64),
        Type::Char => char_value(json),
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            _ => expected("a string", json),
        },
        Type::List(item) if **item == Type::U8 => bytes(json),
        Type::List(item) => {
            let Json::Array(items) = json else {
                return expected("an array", json);
            };
            let values = items
                .iter()
                .enumerate()
                .map(|(i, json)| decode(item, json).map_err(|f| f.at_index(i)));
            values.collect::<Result<_, _>>().map(Value::List)
        }
        Type::Tuple(types) => {
            let n = types.len();
            match json {
                Json::Array(items) if items.len() == n => {
                    let values = types.iter().zip(items).enumerate();
                    let values =
                        values.map(|(i, (ty, json))| decode(ty, json).map_err(|f| f.at_index(i)));
                    values.collect::<Result<_, _>>().map(Value::Tuple)
                }
                _ => expected(&format!("an array of {}", count(n, "item")), json),
            }
        }
        Type::Record(fields) => record(fields, json),
        Type::Variant(cases) => variant(cases, json),
        Type::Result { ok, err } => {
            let (key, payload) = one_key(json, || ["ok", "err"].into_iter())?;
            let ty = if key == "ok" { ok } else { err };
            let payload = payload_of(key, ty.as_deref(), payload).map_err(|f| f.at(key))?;
            Ok(Value::Result(if key == "ok" {
                Ok(payload)
            } else {
                Err(payload)
            }))
        }
        Type::Enum(cases) => match json {
            Json::String(s) if cases.contains(s) => Ok(Value::Enum(s.clone())),
            Json::String(s) => Err(Fail::here(format!(
                "unknown case `{}`; cases are: {}",
                shown(s),
                list(cases.iter().map(String::as_str))
            ))),
            _ => expected(
                &format!(
                    "a string, one of: {}",
                    list(cases.iter().map(String::as_str))
                ),
                json,
            ),
        },
        Type::Flags(flags) => flag_set(flags, json),
        Type::Option(inner) => match (json, &**inner) {
            (Json::Null, _) => Ok(Value::Option(None)),
            (_, Type::Option(_)) => {
                let (_, payload) = one_key(json, || ["some"].into_iter()).map_err(|_| {
                    Fail::here(format!(
                        "expected null or {{\"some\": …}}, got {}",
                        got(json)
                    ))
                })?;
                let value = decode(inner, payload).map_err(|f| f.at("some"))?;
                Ok(Value::Option(Some(Box::new(value))))
            }
            _ => Ok(Value::Option(Some(Box::new(decode(inner, json)?)))),
        },
    }
}

/// A record: every non-option field, no others.
fn record(fields: &[Field], json: &Json) -> Result<Value, Fail> {
    let names = || fields.iter().map(|f| f.name.as_str());
    let Json::Object(map) = json else {
        return expected(&format!("an object with fields: {}", list(names())), json);
    };
    let unknown = |key| {
        Fail::here(format!(
            "unknown field `{}`; fields are: {}",
            shown(key),
            list(names())
        ))
    };
    let mut values = Vec::with_capacity(fields.len());
    let mut found = 0;
    for field in fields {
        let value = match map.get(&field.name) {
            Some(json) => {
                found += 1;
                decode(&field.ty, json).map_err(|f| f.at(&field.name))?
            }
            None if matches!(field.ty, Type::Option(_)) => Value::Option(None),
            None => {
                return Err(match unknown_key(map, names) {
                    Some(key) => unknown(key),
                    None => Fail::here(format!("missing required field `{}`", field.name)),
                });
            }
        };
        values.push((field.name.clone(), value));
    }
    // Only when some key matched no field is it worth finding which.
    match (found < map.len())
        .then(|| unknown_key(map, names))
        .flatten()
    {
        Some(key) => Err(unknown(key)),
        None => Ok(Value::Record(values)),
    }
}

/// A variant: one key, a known case, its payload (`null` for none).
fn variant(cases: &[Case], json: &Json) -> Result<Value, Fail> {
    let (key, payload) = one_key(json, || cases.iter().map(|c| c.name.as_str()))?;
    let case = cases.iter().find(|c| c.name == key);
    let payload =
        payload_of(key, case.and_then(|c| c.ty.as_ref()), payload).map_err(|f| f.at(key))?;
    Ok(Value::Variant(key.to_owned(), payload))
}

/// The one key of an object, which must be one of `names`, and its value.
fn one_key<'j, 'n, I: Iterator<Item = &'n str>>(
    json: &'j Json,
    names: impl Fn() -> I,
) -> Result<(&'j str, &'j Json), Fail> {
    let wanted = || format!("an object with exactly one key, one of: {}", list(names()));
    let Json::Object(map) = json else {
        return expected(&wanted(), json);
    };
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((key, payload)), None) if names().any(|name| name == key) => Ok((key, payload)),
        (Some((key, _)), None) => Err(Fail::here(format!(
            "unknown case `{}`; cases are: {}",
            shown(key),
            list(names())
        ))),
        _ => Err(Fail::here(format!(
            "expected {}; got {}",
            wanted(),
            count(map.len(), "key")
        ))),
    }
}

/// A case's payload: `null` for a case without one.
fn payload_of(case: &str, ty: Option<&Type>, json: &Json) -> Result<Option<Box<Value>>, Fail> {
    match ty {
        Some(ty) => Ok(Some(Box::new(decode(ty, json)?))),
        None if json.is_null() => Ok(None),
        None => expected(&format!("null (`{case}` has no payload)"), json),
    }
}

/// Flags: an array of known names, each at most once; the value lists
/// them in the type's order.
fn flag_set(flags: &[String], json: &Json) -> Result<Value, Fail> {
    let names = || list(flags.iter().map(String::as_str));
    let Json::Array(items) = json else {
        return expected(&format!("an array of flags, any of: {}", names()), json);
    };
    let mut set = vec![false; flags.len()];
    for (i, item) in items.iter().enumerate() {
        let at = |problem| Err(Fail::here(problem).at_index(i));
        let Json::String(name) = item else {
            return at(format!(
                "expected a flag name, one of: {}; got {}",
                names(),
                got(item)
            ));
        };
        match flags.iter().position(|flag| flag == name) {
            None => {
                return at(format!(
                    "unknown flag `{}`; flags are: {}",
                    shown(name),
                    names()
                ));
            }
            Some(j) if set[j] => {
                return at(format!("flag `{name}` is repeated; each may appear once"));
            }
            Some(j) => set[j] = true,
        }
    }
    let set = flags
        .iter()
        .zip(set)
        .filter(|&(_, on)| on)
        .map(|(flag, _)| flag.clone());
    Ok(Value::Flags(set.collect()))
}
