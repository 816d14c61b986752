//! proptest strategies: arbitrary WIT types (bounded depth and width,
//! unique kebab-case names), values of a type, and JSON near a type.

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;

use super::{case, field, list, names, option, result};
use crate::{Case, Field, Type, Value};

/// One of each kind of type, for tests that want them all.
pub(super) fn samples() -> Vec<Type> {
    let mut all = vec![
        Type::Bool,
        Type::S8,
        Type::U8,
        Type::S16,
        Type::U16,
        Type::S32,
        Type::U32,
        Type::S64,
        Type::U64,
        Type::F32,
        Type::F64,
        Type::Char,
        Type::String,
        list(Type::U8),
        list(Type::S32),
        Type::Tuple(vec![Type::Bool, Type::String]),
        Type::Tuple(vec![]),
        Type::Record(vec![
            field("a", Type::U8),
            field("b-c", option(Type::String)),
        ]),
        Type::Variant(vec![case("x", None), case("y", Some(Type::F32))]),
        Type::Enum(names(&["red", "green"])),
        Type::Flags(names(&["read", "write"])),
        Type::Flags(vec![]),
        option(Type::U8),
        option(option(Type::U8)),
        option(option(option(Type::Bool))),
        result(Some(Type::U8), Some(Type::String)),
        result(None, None),
    ];
    all.push(list(all[17].clone()));
    all
}

/// A WIT name: kebab-case words.
pub(super) fn kebab() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,4}(-[a-z][a-z0-9]{0,3}){0,2}"
}

/// `min..max` distinct names.
fn distinct(min: usize, max: usize) -> impl Strategy<Value = Vec<String>> {
    btree_set(kebab(), min..max).prop_map(|set| set.into_iter().collect())
}

fn docs() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z ]{1,12}")
}

/// Any type: depth at most 4, at most 4 items per compound.
pub(super) fn any_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::S8),
        Just(Type::U8),
        Just(Type::S16),
        Just(Type::U16),
        Just(Type::S32),
        Just(Type::U32),
        Just(Type::S64),
        Just(Type::U64),
        Just(Type::F32),
        Just(Type::F64),
        Just(Type::Char),
        Just(Type::String),
        Just(list(Type::U8)),
        distinct(1, 4).prop_map(Type::Enum),
        distinct(0, 4).prop_map(Type::Flags),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let inner_opt = proptest::option::of(inner.clone());
        prop_oneof![
            inner.clone().prop_map(list),
            vec(inner.clone(), 1..4).prop_map(Type::Tuple),
            (distinct(1, 4), vec((inner.clone(), docs()), 4)).prop_map(|(names, types)| {
                let fields = names.into_iter().zip(types);
                Type::Record(
                    fields
                        .map(|(name, (ty, docs))| Field { name, ty, docs })
                        .collect(),
                )
            }),
            (distinct(1, 4), vec((inner_opt.clone(), docs()), 4)).prop_map(|(names, types)| {
                let cases = names.into_iter().zip(types);
                Type::Variant(
                    cases
                        .map(|(name, (ty, docs))| Case { name, ty, docs })
                        .collect(),
                )
            }),
            inner.clone().prop_map(option),
            (inner_opt.clone(), inner_opt).prop_map(|(ok, err)| result(ok, err)),
        ]
    })
}

/// A type and a value of it; `finite` keeps floats finite.
pub(super) fn typed_value(finite: bool) -> impl Strategy<Value = (Type, Value)> {
    any_type().prop_flat_map(move |ty| (Just(ty.clone()), value_of(&ty, finite)))
}

fn f64s(finite: bool) -> BoxedStrategy<f64> {
    use proptest::num::f64::*;
    let finite_floats = NORMAL | SUBNORMAL | ZERO | NEGATIVE | POSITIVE;
    let edges = [
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        9_007_199_254_740_993.0,
        -0.0,
    ];
    let finite_floats = prop_oneof![finite_floats, proptest::sample::select(edges.to_vec())];
    let integral = (-1e16f64..1e16).prop_map(f64::trunc);
    match finite {
        true => prop_oneof![finite_floats, integral].boxed(),
        false => prop_oneof![
            finite_floats,
            integral,
            QUIET_NAN | INFINITE | NEGATIVE | POSITIVE
        ]
        .boxed(),
    }
}

fn f32s(finite: bool) -> BoxedStrategy<f32> {
    use proptest::num::f32::*;
    let edges = [
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        16_777_216.0,
        -0.0,
    ];
    let finite_floats = prop_oneof![
        NORMAL | SUBNORMAL | ZERO | NEGATIVE | POSITIVE,
        proptest::sample::select(edges.to_vec())
    ];
    match finite {
        true => finite_floats.boxed(),
        false => prop_oneof![finite_floats, QUIET_NAN | INFINITE | NEGATIVE | POSITIVE].boxed(),
    }
}

/// Any value of `ty`.
pub(super) fn value_of(ty: &Type, finite: bool) -> BoxedStrategy<Value> {
    let boxed = |v: Value| Some(Box::new(v));
    match ty {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::S8 => any::<i8>().prop_map(Value::S8).boxed(),
        Type::U8 => any::<u8>().prop_map(Value::U8).boxed(),
        Type::S16 => any::<i16>().prop_map(Value::S16).boxed(),
        Type::U16 => any::<u16>().prop_map(Value::U16).boxed(),
        Type::S32 => any::<i32>().prop_map(Value::S32).boxed(),
        Type::U32 => any::<u32>().prop_map(Value::U32).boxed(),
        Type::S64 => any::<i64>().prop_map(Value::S64).boxed(),
        Type::U64 => any::<u64>().prop_map(Value::U64).boxed(),
        Type::F32 => f32s(finite).prop_map(Value::F32).boxed(),
        Type::F64 => f64s(finite).prop_map(Value::F64).boxed(),
        Type::Char => any::<char>().prop_map(Value::Char).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::List(item) => vec(value_of(item, finite), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Tuple(types) => {
            let items: Vec<_> = types.iter().map(|t| value_of(t, finite)).collect();
            items.prop_map(Value::Tuple).boxed()
        }
        Type::Record(fields) => {
            let items: Vec<_> = fields
                .iter()
                .map(|f| (Just(f.name.clone()), value_of(&f.ty, finite)))
                .collect();
            items.prop_map(Value::Record).boxed()
        }
        Type::Variant(cases) => {
            let cases: Vec<_> = cases
                .iter()
                .map(|c| match &c.ty {
                    Some(t) => {
                        let name = c.name.clone();
                        value_of(t, finite)
                            .prop_map(move |v| Value::Variant(name.clone(), boxed(v)))
                            .boxed()
                    }
                    None => Just(Value::Variant(c.name.clone(), None)).boxed(),
                })
                .collect();
            proptest::strategy::Union::new(cases).boxed()
        }
        Type::Enum(cases) => proptest::sample::select(cases.clone())
            .prop_map(Value::Enum)
            .boxed(),
        Type::Flags(flags) => {
            let flags = flags.clone();
            vec(any::<bool>(), flags.len())
                .prop_map(move |on| {
                    let set = flags
                        .iter()
                        .zip(on)
                        .filter(|&(_, on)| on)
                        .map(|(f, _)| f.clone());
                    Value::Flags(set.collect())
                })
                .boxed()
        }
        Type::Option(inner) => proptest::option::of(value_of(inner, finite))
            .prop_map(|v| Value::Option(v.map(Box::new)))
            .boxed(),
        Type::Result { ok, err } => {
            let side = |t: &Option<Box<Type>>| match t {
                Some(t) => value_of(t, finite).prop_map(|v| Some(Box::new(v))).boxed(),
                None => Just(None).boxed(),
            };
            prop_oneof![
                side(ok).prop_map(|v| Value::Result(Ok(v))),
                side(err).prop_map(|v| Value::Result(Err(v)))
            ]
            .boxed()
        }
    }
}
