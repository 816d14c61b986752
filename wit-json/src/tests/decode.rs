//! Decoding scalars: every one accepted, every refusal with its message.

use serde_json::{Value as Json, json};

use super::list;
use crate::{Mismatch, Type, Value, decode};

/// The refusal of `json` as `ty`, as "path: problem".
pub(super) fn refused(ty: &Type, json: Json) -> String {
    match decode::value(ty, &json, "") {
        Ok(value) => panic!("{json} was accepted as {value:?}"),
        Err(Mismatch { path, problem }) => format!("{path}: {problem}"),
    }
}

pub(super) fn accepted(ty: &Type, json: Json) -> Value {
    decode::value(ty, &json, "").unwrap_or_else(|e| panic!("{json} refused: {e}"))
}

#[test]
fn integers_are_exact_and_in_range() {
    assert_eq!(accepted(&Type::U8, json!(255)), Value::U8(255));
    assert_eq!(accepted(&Type::S8, json!(-128)), Value::S8(-128));
    assert_eq!(
        accepted(&Type::U8, json!(3.0)),
        Value::U8(3),
        "JSON Schema's integer accepts 3.0"
    );
    assert_eq!(accepted(&Type::U16, json!(1e3)), Value::U16(1000));
    assert_eq!(accepted(&Type::U64, json!(u64::MAX)), Value::U64(u64::MAX));
    assert_eq!(accepted(&Type::S64, json!(i64::MIN)), Value::S64(i64::MIN));
    assert_eq!(
        accepted(&Type::S64, json!(9007199254740993i64)),
        Value::S64(9007199254740993)
    );
    let parsed: Json = serde_json::from_str("18446744073709551615").unwrap();
    assert_eq!(
        accepted(&Type::U64, parsed),
        Value::U64(18446744073709551615)
    );
    assert_eq!(
        refused(&Type::U8, json!(300)),
        ": expected an integer from 0 to 255, got 300"
    );
    assert_eq!(
        refused(&Type::U8, json!(-1)),
        ": expected an integer from 0 to 255, got -1"
    );
    assert_eq!(
        refused(&Type::S8, json!(3.5)),
        ": expected an integer from -128 to 127, got 3.5"
    );
    assert_eq!(
        refused(&Type::U32, json!("7")),
        ": expected an integer from 0 to 4294967295, got a string"
    );
    assert_eq!(
        refused(&Type::S16, json!(null)),
        ": expected an integer from -32768 to 32767, got null"
    );
    let s64 = "expected an integer from -9223372036854775808 to 9223372036854775807";
    assert_eq!(
        refused(&Type::S64, json!(u64::MAX)),
        format!(": {s64}, got 18446744073709551615")
    );
    assert_eq!(
        refused(
            &Type::U64,
            serde_json::from_str("18446744073709551616").unwrap()
        ),
        ": expected an integer from 0 to 18446744073709551615, got 1.8446744073709552e+19"
    );
}

#[test]
fn float_written_integers_beyond_2_53_are_refused_not_rounded() {
    // The reader turns this into exactly i64::MIN: taking it would be a
    // different integer from the one sent.
    let below_min: Json = serde_json::from_str("-9223372036854775809").unwrap();
    let problem = refused(&Type::S64, below_min);
    assert!(
        problem.contains("beyond 2^53, write it without a fraction or exponent"),
        "{problem}"
    );
    assert!(refused(&Type::U64, json!(1e19)).contains("beyond 2^53"));
    assert!(refused(&Type::U64, json!(9007199254740994.0)).contains("beyond 2^53"));
    assert_eq!(
        accepted(&Type::U64, json!(9007199254740992.0)),
        Value::U64(1 << 53)
    );
}

#[test]
fn floats_are_finite_and_f32_within_its_range() {
    assert_eq!(accepted(&Type::F64, json!(2.5)), Value::F64(2.5));
    assert_eq!(accepted(&Type::F64, json!(25)), Value::F64(25.0));
    assert_eq!(
        accepted(&Type::F64, json!(u64::MAX)),
        Value::F64(u64::MAX as f64)
    );
    assert_eq!(accepted(&Type::F32, json!(1.1)), Value::F32(1.1));
    let max = f64::from(f32::MAX);
    assert_eq!(accepted(&Type::F32, json!(max)), Value::F32(f32::MAX));
    let f32_range =
        "expected a number from -3.4028234663852886e38 to 3.4028234663852886e38 (f32's range)";
    assert_eq!(
        refused(&Type::F32, json!(1e39)),
        format!(": {f32_range}, got 1e+39")
    );
    assert_eq!(
        refused(&Type::F32, json!(-3.5e38)),
        format!(": {f32_range}, got -3.5e+38")
    );
    assert_eq!(
        refused(&Type::F64, json!("NaN")),
        ": expected a number (NaN and the infinities are not accepted as arguments), got the string \"NaN\""
    );
    assert!(refused(&Type::F32, json!("-Infinity")).contains("not accepted as arguments"));
    assert_eq!(
        refused(&Type::F64, json!(true)),
        ": expected a finite number, got true"
    );
}

#[test]
fn bool_char_and_string() {
    assert_eq!(accepted(&Type::Bool, json!(false)), Value::Bool(false));
    assert_eq!(
        refused(&Type::Bool, json!(0)),
        ": expected a boolean, got 0"
    );
    assert_eq!(accepted(&Type::Char, json!("é")), Value::Char('é'));
    assert_eq!(accepted(&Type::Char, json!("😀")), Value::Char('😀'));
    let one = "expected a string of exactly one character (one Unicode code point)";
    assert_eq!(
        refused(&Type::Char, json!("ab")),
        format!(": {one}, got 2 characters")
    );
    assert_eq!(
        refused(&Type::Char, json!("")),
        format!(": {one}, got 0 characters")
    );
    assert_eq!(
        refused(&Type::Char, json!(7)),
        ": expected a string of one character, got 7"
    );
    assert_eq!(
        accepted(&Type::String, json!("hi")),
        Value::String("hi".into())
    );
    assert_eq!(
        refused(&Type::String, json!(["hi"])),
        ": expected a string, got an array of 1 item"
    );
}

#[test]
fn bytes_are_base64() {
    let bytes = list(Type::U8);
    assert_eq!(
        accepted(&bytes, json!("aGk=")),
        Value::List(vec![Value::U8(b'h'), Value::U8(b'i')])
    );
    assert_eq!(accepted(&bytes, json!("")), Value::List(vec![]));
    let problem = refused(&bytes, json!("aGk"));
    assert!(
        problem.starts_with(
            ": expected a base64 string (standard alphabet, padded; list<u8>), got invalid base64: "
        ),
        "{problem}"
    );
    assert!(
        refused(&bytes, json!("QR==")).contains("invalid base64"),
        "non-canonical"
    );
    assert!(
        refused(&bytes, json!("-_8=")).contains("invalid base64"),
        "URL alphabet"
    );
    assert!(refused(&bytes, json!([104, 105])).ends_with("got an array of 2 items"));
}
