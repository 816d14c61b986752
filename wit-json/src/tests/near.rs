//! JSON near a type, for checking decoding against the input schema: good
//! values, the near misses a model or attacker might send, and junk.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

use super::strategies::{kebab, value_of};
use crate::{Field, Type};

/// JSON that may or may not fit `ty`: good values, near misses a model
/// or attacker might send, and junk.
pub(super) fn json_near(ty: &Type) -> BoxedStrategy<Json> {
    let good = value_of(ty, true).prop_map({
        let ty = ty.clone();
        move |v| crate::encode::value(&ty, &v)
    });
    let junk = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        "[a-z]{0,3}".prop_map(Json::from),
        Just(json!([])),
        Just(json!({})),
    ];
    prop_oneof![3 => good, 3 => near_miss(ty), 1 => junk].boxed()
}

/// Numbers around an integer type's edges and in every written form.
fn integers() -> BoxedStrategy<Json> {
    let edges: Vec<i128> = [
        i8::MIN.into(),
        u8::MAX.into(),
        i16::MIN.into(),
        u16::MAX.into(),
    ]
    .into_iter()
    .chain([
        i32::MIN.into(),
        u32::MAX.into(),
        i64::MIN.into(),
        i64::MAX.into(),
        u64::MAX.into(),
    ])
    .flat_map(|e: i128| [e - 1, e, e + 1])
    .chain([-1, 0, 1])
    .collect();
    prop_oneof![
        // Beyond i64 and u64 a number reaches us as a float, already
        // rounded, and is refused where JSON Schema compares the rounded
        // float (the one deliberate difference, tested on its own).
        proptest::sample::select(edges).prop_map(|n| match (u64::try_from(n), i64::try_from(n)) {
            (Ok(u), _) => Json::from(u),
            (_, Ok(i)) => Json::from(i),
            _ => Json::from(n.signum() as i8),
        }),
        any::<i64>().prop_map(Json::from),
        // Integral floats within ±2^53 (3.0, 1e3), and fractions.
        (-9_007_199_254_740_992i64..=9_007_199_254_740_992).prop_map(|n| json!(n as f64)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
    ]
    .boxed()
}

fn near_miss(ty: &Type) -> BoxedStrategy<Json> {
    match ty {
        Type::Bool | Type::String => prop_oneof![Just(json!(1)), Just(json!("true"))].boxed(),
        Type::S8
        | Type::U8
        | Type::S16
        | Type::U16
        | Type::S32
        | Type::U32
        | Type::S64
        | Type::U64 => integers(),
        Type::F32 | Type::F64 => prop_oneof![
            Just(json!("NaN")),
            Just(json!(1e39)),
            Just(json!(-3.5e38)),
            Just(json!(f64::from(f32::MAX))),
            Just(json!(-f64::from(f32::MAX))),
            // The floats either side of f32's largest.
            Just(json!(f64::from_bits(f64::from(f32::MAX).to_bits() + 1))),
            Just(json!(-f64::from_bits(f64::from(f32::MAX).to_bits() - 1))),
            Just(json!(u64::MAX)),
            any::<f64>().prop_map(|f| json!(f)),
        ]
        .boxed(),
        Type::Char => "\\PC{0,3}".prop_map(Json::from).boxed(),
        Type::List(item) if **item == Type::U8 => {
            // Last groups whose spare bits may or may not be zero, missing
            // or extra padding, characters of other alphabets.
            let forms = [
                "[A-Za-z0-9+/]{2}==",
                "[A-Za-z0-9+/]{3}=",
                "([A-Za-z0-9+/]{4}){0,2}=?=?",
                "[A-Za-z0-9+/=_-]{0,6}",
            ];
            proptest::sample::select(forms.to_vec())
                .prop_flat_map(|form| form.prop_map(Json::from))
                .boxed()
        }
        Type::List(item) => vec(json_near(item), 0..3).prop_map(Json::Array).boxed(),
        Type::Tuple(types) => {
            let n = types.len();
            let items: Vec<_> = types.iter().map(json_near).collect();
            (items, 0..3usize)
                .prop_map(move |(mut items, cut)| {
                    // One short, exact, or one extra.
                    match cut {
                        0 => items.truncate(n.saturating_sub(1)),
                        1 => items.push(Json::Null),
                        _ => {}
                    }
                    Json::Array(items)
                })
                .boxed()
        }
        Type::Record(fields) => record_near(fields),
        Type::Variant(cases) => {
            let keys: Vec<(String, Option<Type>)> = cases
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect();
            one_key_near(keys)
        }
        Type::Result { ok, err } => {
            let side = |t: &Option<Box<Type>>| t.as_deref().cloned();
            one_key_near(vec![("ok".into(), side(ok)), ("err".into(), side(err))])
        }
        Type::Enum(cases) => prop_oneof![
            proptest::sample::select(cases.clone()).prop_map(Json::from),
            kebab().prop_map(Json::from)
        ]
        .boxed(),
        Type::Flags(flags) => {
            let name = match flags.is_empty() {
                true => kebab().boxed(),
                false => prop_oneof![proptest::sample::select(flags.clone()), kebab()].boxed(),
            };
            vec(name, 0..4).prop_map(|names| json!(names)).boxed()
        }
        Type::Option(inner) => prop_oneof![
            Just(Json::Null),
            json_near(inner),
            json_near(inner).prop_map(|j| json!({"some": j})),
        ]
        .boxed(),
    }
}

/// An object with some of `fields` (each near its type, or null), maybe
/// one unknown key too.
fn record_near(fields: &[Field]) -> BoxedStrategy<Json> {
    let entries: Vec<_> = fields
        .iter()
        .map(|f| {
            let value = prop_oneof![4 => json_near(&f.ty).prop_map(Some), 1 => Just(None), 1 => Just(Some(Json::Null))];
            (Just(f.name.clone()), value)
        })
        .collect();
    (entries, proptest::option::weighted(0.2, kebab()))
        .prop_map(|(entries, extra)| {
            let mut map: Map<String, Json> = entries
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect();
            if let Some(extra) = extra {
                map.entry(extra).or_insert(Json::Null);
            }
            Json::Object(map)
        })
        .boxed()
}

/// A one-key object for a variant or result, with the key sometimes wrong
/// and sometimes a second key beside it.
fn one_key_near(cases: Vec<(String, Option<Type>)>) -> BoxedStrategy<Json> {
    let mut branches: Vec<_> = cases
        .iter()
        .map(|(name, ty)| {
            let payload = match ty {
                Some(ty) => prop_oneof![4 => json_near(ty), 1 => Just(Json::Null)].boxed(),
                None => prop_oneof![4 => Just(Json::Null), 1 => Just(json!(0))].boxed(),
            };
            (Just(name.clone()), payload).boxed()
        })
        .collect();
    branches.push(kebab().prop_map(|key| (key, Json::Null)).boxed());
    let one = proptest::strategy::Union::new(branches);
    (one, proptest::option::weighted(0.1, kebab()))
        .prop_map(|((key, payload), extra)| {
            let mut map = Map::new();
            map.insert(key, payload);
            if let Some(extra) = extra {
                map.insert(extra, Json::Null);
            }
            Json::Object(map)
        })
        .boxed()
}
