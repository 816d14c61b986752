//! Numbers both ways: the exact range of each integer width, and floats as
//! JSON (integral ones as JSON integers, NaN and the infinities as strings).

use serde_json::{Number, Value as Json};

use crate::{Type, Value};

/// The largest magnitude below which every integer is exact in an `f64`.
/// An integer written with a fraction or exponent (`3.0`, `1e3`) reaches
/// us as an `f64`; beyond this it may already have been rounded by the
/// parser (`-9223372036854775809` parses as exactly `i64::MIN`), so it is
/// refused rather than taken as a different integer.
pub(crate) const EXACT_IN_F64: f64 = 9_007_199_254_740_992.0; // 2^53

/// The strings a result uses for the floats JSON has no number for.
pub(crate) const NON_FINITE: [&str; 3] = ["NaN", "Infinity", "-Infinity"];

/// The inclusive range of an integer type, `None` for any other type.
pub(crate) fn int_range(ty: &Type) -> Option<(i128, i128)> {
    Some(match ty {
        Type::S8 => (i8::MIN.into(), i8::MAX.into()),
        Type::U8 => (0, u8::MAX.into()),
        Type::S16 => (i16::MIN.into(), i16::MAX.into()),
        Type::U16 => (0, u16::MAX.into()),
        Type::S32 => (i32::MIN.into(), i32::MAX.into()),
        Type::U32 => (0, u32::MAX.into()),
        Type::S64 => (i64::MIN.into(), i64::MAX.into()),
        Type::U64 => (0, u64::MAX.into()),
        _ => return None,
    })
}

/// `n` (known to be in `ty`'s range) as a value of the integer type `ty`.
pub(crate) fn int_value(ty: &Type, n: i128) -> Option<Value> {
    Some(match ty {
        Type::S8 => Value::S8(n.try_into().ok()?),
        Type::U8 => Value::U8(n.try_into().ok()?),
        Type::S16 => Value::S16(n.try_into().ok()?),
        Type::U16 => Value::U16(n.try_into().ok()?),
        Type::S32 => Value::S32(n.try_into().ok()?),
        Type::U32 => Value::U32(n.try_into().ok()?),
        Type::S64 => Value::S64(n.try_into().ok()?),
        Type::U64 => Value::U64(n.try_into().ok()?),
        _ => return None,
    })
}

/// An integer bound (or value) as an exact JSON integer: `u64::MAX` is
/// `18446744073709551615`, never a float.
pub(crate) fn int_json(n: i128) -> Json {
    match (u64::try_from(n), i64::try_from(n)) {
        (Ok(u), _) => Json::from(u),
        (_, Ok(i)) => Json::from(i),
        // Every WIT integer fits one of the two.
        _ => Json::Null,
    }
}

/// The bounds of an `f32`, as JSON numbers (`±3.4028234663852886e38`).
pub(crate) fn f32_bounds() -> (Json, Json) {
    let max = f64::from(f32::MAX);
    (float_json(-max), float_json(max))
}

/// A float as JSON: integral values within ±2^53 as JSON integers (`425`,
/// as other MCP servers print them; still a JSON number), others as JSON
/// numbers, NaN and the infinities as `"NaN"`, `"Infinity"`, `"-Infinity"`.
/// `-0.0` stays `-0.0` so that it survives the round trip.
pub(crate) fn float_json(f: f64) -> Json {
    if f.is_nan() {
        Json::from(NON_FINITE[0])
    } else if f.is_infinite() {
        Json::from(NON_FINITE[if f > 0.0 { 1 } else { 2 }])
    } else if f.fract() == 0.0 && f.abs() <= EXACT_IN_F64 && !(f == 0.0 && f.is_sign_negative()) {
        // Exact: integral and within ±2^53, so within i64.
        Json::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Json::Null, Json::Number)
    }
}

/// An `f32` as JSON: the shortest decimal that reads back as the same
/// `f32` (`1.1`, not `1.100000023841858`), exact through an `f64` reader.
pub(crate) fn f32_json(f: f32) -> Json {
    let wide = f64::from(f);
    if !f.is_finite() {
        return float_json(wide);
    }
    // Rust prints the shortest digits that identify `f` as an f32; read
    // as an f64 they still round to `f` almost always. Check, and fall
    // back to the exact widening where double rounding would bite, or
    // where the digits lie past f32's largest value (`f32::MAX` prints as
    // 3.4028235e38, above the schema's maximum and refused as an argument).
    let short: f64 = f.to_string().parse().unwrap_or(wide);
    let exact = (short as f32).to_bits() == f.to_bits() && short.abs() <= f64::from(f32::MAX);
    float_json(if exact { short } else { wide })
}
