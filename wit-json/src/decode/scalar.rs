//! Scalars: integers, floats, characters and bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Number, Value as Json};

use super::fail::{Fail, count, expected};
use crate::numbers::{EXACT_IN_F64, NON_FINITE, int_range, int_value};
use crate::{Type, Value};

/// An integer of type `ty`: any JSON number that is integral and in range,
/// exact to the last digit when written as an integer.
pub(super) fn integer(ty: &Type, json: &Json) -> Result<Value, Fail> {
    let (min, max) = int_range(ty).unwrap_or_default();
    let exact = match json {
        Json::Number(n) => exact_integer(n),
        _ => None,
    };
    match exact
        .filter(|i| (min..=max).contains(i))
        .and_then(|i| int_value(ty, i))
    {
        Some(value) => Ok(value),
        None => {
            // In range but written as a float too large to be exact: say how
            // to send it. (`max` + 1 is a power of two, exact as a float.)
            let beyond = json.as_f64().is_some_and(|f| {
                f.fract() == 0.0 && f.abs() > EXACT_IN_F64 && f >= min as f64 && f < max as f64
            });
            let hint = match (exact, beyond) {
                (None, true) => " (beyond 2^53, write it without a fraction or exponent)",
                _ => "",
            };
            expected(&format!("an integer from {min} to {max}{hint}"), json)
        }
    }
}

/// `n` as an exact integer: as written if it was written as one, else its
/// float value if that is integral and within ±2^53 (where floats are exact).
fn exact_integer(n: &Number) -> Option<i128> {
    if let Some(u) = n.as_u64() {
        return Some(u.into());
    }
    if let Some(i) = n.as_i64() {
        return Some(i.into());
    }
    let f = n.as_f64()?;
    (f.fract() == 0.0 && f.abs() <= EXACT_IN_F64).then_some(f as i128)
}

/// An `f32`: a finite number within its range, rounded to the nearest.
pub(super) fn f32_value(json: &Json) -> Result<Value, Fail> {
    let f = float(json)?;
    let max = f64::from(f32::MAX);
    if f.abs() > max {
        return expected(
            &format!("a number from {:e} to {max:e} (f32's range)", -max),
            json,
        );
    }
    Ok(Value::F32(f as f32))
}

/// A `char`: a string of exactly one Unicode scalar value (JSON Schema's
/// `minLength`/`maxLength` count code points the same way).
pub(super) fn char_value(json: &Json) -> Result<Value, Fail> {
    let Some(s) = json.as_str() else {
        return expected("a string of one character", json);
    };
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(Value::Char(c)),
        _ => Err(Fail::here(format!(
            "expected a string of exactly one character (one Unicode code point), got {}",
            count(s.chars().count(), "character")
        ))),
    }
}

/// A finite float; NaN and the infinities are never arguments.
pub(super) fn float(json: &Json) -> Result<f64, Fail> {
    match json.as_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ if matches!(json, Json::String(s) if NON_FINITE.contains(&s.as_str())) => expected(
            "a number (NaN and the infinities are not accepted as arguments)",
            json,
        ),
        _ => expected("a finite number", json),
    }
}

/// `list<u8>`: canonical padded base64 in the standard alphabet.
pub(super) fn bytes(json: &Json) -> Result<Value, Fail> {
    let wanted = "a base64 string (standard alphabet, padded; list<u8>)";
    let Json::String(s) = json else {
        return expected(wanted, json);
    };
    match STANDARD.decode(s) {
        Ok(bytes) => Ok(Value::List(bytes.into_iter().map(Value::U8).collect())),
        Err(e) => Err(Fail::here(format!(
            "expected {wanted}, got invalid base64: {e}"
        ))),
    }
}
