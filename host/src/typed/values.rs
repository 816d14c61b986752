//! [`moat_wit_json::Value`] as wasmtime's [`Val`] and back: the same shapes,
//! one to one. Values reach the plugin only after `decode::arguments`
//! checked them against the function's types, and come back from wasmtime
//! shaped by those types, so neither direction fails.

use moat_wit_json::Value;
use wasmtime::component::Val;

/// `value` as wasmtime passes it to the plugin.
pub fn to_val(value: Value) -> Val {
    match value {
        Value::Bool(b) => Val::Bool(b),
        Value::S8(n) => Val::S8(n),
        Value::U8(n) => Val::U8(n),
        Value::S16(n) => Val::S16(n),
        Value::U16(n) => Val::U16(n),
        Value::S32(n) => Val::S32(n),
        Value::U32(n) => Val::U32(n),
        Value::S64(n) => Val::S64(n),
        Value::U64(n) => Val::U64(n),
        Value::F32(n) => Val::Float32(n),
        Value::F64(n) => Val::Float64(n),
        Value::Char(c) => Val::Char(c),
        Value::String(s) => Val::String(s),
        Value::List(items) => Val::List(items.into_iter().map(to_val).collect()),
        Value::Tuple(items) => Val::Tuple(items.into_iter().map(to_val).collect()),
        Value::Record(fields) => Val::Record(
            fields
                .into_iter()
                .map(|(name, value)| (name, to_val(value)))
                .collect(),
        ),
        Value::Variant(case, payload) => Val::Variant(case, payload.map(boxed_val)),
        Value::Enum(case) => Val::Enum(case),
        Value::Flags(set) => Val::Flags(set),
        Value::Option(inner) => Val::Option(inner.map(boxed_val)),
        Value::Result(result) => Val::Result(match result {
            Ok(ok) => Ok(ok.map(boxed_val)),
            Err(err) => Err(err.map(boxed_val)),
        }),
    }
}

/// A payload as wasmtime's, in a box of its own.
#[allow(clippy::boxed_local)] // the box is the caller's, moved out of the value
fn boxed_val(value: Box<Value>) -> Box<Val> {
    Box::new(to_val(*value))
}

/// A value the plugin returned, or `None` for one with no JSON form (a
/// resource, a future...), which a function the host serves never returns:
/// its types were checked at load.
pub fn from_val(val: Val) -> Option<Value> {
    Some(match val {
        Val::Bool(b) => Value::Bool(b),
        Val::S8(n) => Value::S8(n),
        Val::U8(n) => Value::U8(n),
        Val::S16(n) => Value::S16(n),
        Val::U16(n) => Value::U16(n),
        Val::S32(n) => Value::S32(n),
        Val::U32(n) => Value::U32(n),
        Val::S64(n) => Value::S64(n),
        Val::U64(n) => Value::U64(n),
        Val::Float32(n) => Value::F32(n),
        Val::Float64(n) => Value::F64(n),
        Val::Char(c) => Value::Char(c),
        Val::String(s) => Value::String(s),
        Val::List(items) => Value::List(items.into_iter().map(from_val).collect::<Option<_>>()?),
        Val::Tuple(items) => Value::Tuple(items.into_iter().map(from_val).collect::<Option<_>>()?),
        Val::Record(fields) => Value::Record(
            fields
                .into_iter()
                .map(|(name, val)| Some((name, from_val(val)?)))
                .collect::<Option<_>>()?,
        ),
        Val::Variant(case, payload) => Value::Variant(case, inner(payload)?),
        Val::Enum(case) => Value::Enum(case),
        Val::Flags(set) => Value::Flags(set),
        Val::Option(some) => Value::Option(inner(some)?),
        Val::Result(result) => Value::Result(match result {
            Ok(ok) => Ok(inner(ok)?),
            Err(err) => Err(inner(err)?),
        }),
        Val::Map(_)
        | Val::FixedLengthList(_)
        | Val::Resource(_)
        | Val::Future(_)
        | Val::Stream(_)
        | Val::ErrorContext(_) => return None,
    })
}

/// An optional payload: `None` stays `None`; `Some` converts or fails.
fn inner(val: Option<Box<Val>>) -> Option<Option<Box<Value>>> {
    match val {
        Some(val) => Some(Some(Box::new(from_val(*val)?))),
        None => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_survives_both_ways() {
        let value = Value::Tuple(vec![
            Value::Bool(true),
            Value::S8(-8),
            Value::U8(8),
            Value::S16(-16),
            Value::U16(16),
            Value::S32(-32),
            Value::U32(32),
            Value::S64(i64::MIN),
            Value::U64(u64::MAX),
            Value::F32(1.5),
            Value::F64(-2.25),
            Value::Char('é'),
            Value::String("hi".into()),
            Value::List(vec![Value::U8(1), Value::U8(2)]),
            Value::Record(vec![("x".into(), Value::F64(1.0))]),
            Value::Variant("circle".into(), Some(Box::new(Value::F64(2.0)))),
            Value::Variant("empty".into(), None),
            Value::Enum("red".into()),
            Value::Flags(vec!["read".into(), "exec".into()]),
            Value::Option(None),
            Value::Option(Some(Box::new(Value::Option(None)))),
            Value::Result(Ok(None)),
            Value::Result(Err(Some(Box::new(Value::String("no".into()))))),
        ]);
        assert_eq!(from_val(to_val(value.clone())), Some(value));
    }

    #[test]
    fn values_without_a_json_form_are_none() {
        assert_eq!(from_val(Val::Map(Vec::new())), None);
        assert_eq!(from_val(Val::List(vec![Val::Map(Vec::new())])), None);
    }
}
