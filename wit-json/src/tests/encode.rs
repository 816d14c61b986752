//! Encoding: every type, the outcome of a call, floats.

use serde_json::{Value as Json, json};

use super::{case, field, list, names, option, result, some};
use crate::encode::{self, Outcome};
use crate::{Type, Value};

fn text(ty: &Type, value: &Value) -> String {
    encode::value(ty, value).to_string()
}

#[test]
fn scalars() {
    assert_eq!(encode::value(&Type::Bool, &Value::Bool(true)), json!(true));
    assert_eq!(
        text(&Type::U64, &Value::U64(u64::MAX)),
        "18446744073709551615"
    );
    assert_eq!(
        text(&Type::S64, &Value::S64(i64::MIN)),
        "-9223372036854775808"
    );
    assert_eq!(text(&Type::S8, &Value::S8(-3)), "-3");
    assert_eq!(encode::value(&Type::Char, &Value::Char('é')), json!("é"));
    assert_eq!(
        encode::value(&Type::String, &Value::String("hi".into())),
        json!("hi")
    );
}

#[test]
fn floats_integral_as_integers_others_exact_non_finite_as_strings() {
    let f64_text = |f: f64| text(&Type::F64, &Value::F64(f));
    assert_eq!(f64_text(425.0), "425");
    assert_eq!(f64_text(-2.0), "-2");
    assert_eq!(f64_text(2.5), "2.5");
    assert_eq!(f64_text(-0.0), "-0.0", "the sign of zero survives");
    assert_eq!(f64_text(9007199254740992.0), "9007199254740992");
    assert_eq!(f64_text(1e300), "1e+300");
    assert_eq!(f64_text(f64::NAN), "\"NaN\"");
    assert_eq!(f64_text(f64::INFINITY), "\"Infinity\"");
    assert_eq!(f64_text(f64::NEG_INFINITY), "\"-Infinity\"");
    let f32_text = |f: f32| text(&Type::F32, &Value::F32(f));
    assert_eq!(
        f32_text(1.1),
        "1.1",
        "the shortest form, not 1.100000023841858"
    );
    assert_eq!(f32_text(16777216.0), "16777216");
    // Not its shortest digits, 3.4028235e38: those lie past the f32 range
    // the schema states and decoding holds arguments to.
    assert_eq!(f32_text(f32::MAX), "3.4028234663852886e+38");
    for f in [f32::MAX, f32::MIN] {
        let back = crate::decode::value(&Type::F32, &encode::value(&Type::F32, &Value::F32(f)), "");
        assert_eq!(back, Ok(Value::F32(f)));
    }
    assert_eq!(f32_text(f32::NAN), "\"NaN\"");
    assert_eq!(f32_text(f32::NEG_INFINITY), "\"-Infinity\"");
}

#[test]
fn every_f32_reads_back_exactly() {
    // Corners of double rounding: the shortest digits of an f32, read as an
    // f64, must still round to that f32; where they would not, the exact
    // widening is written instead.
    let samples = (0..200_000u32).map(|i| f32::from_bits(i.wrapping_mul(2_654_435_761)));
    for f in samples.filter(|f| f.is_finite()) {
        let json = encode::value(&Type::F32, &Value::F32(f));
        let back = json.as_f64().unwrap() as f32;
        assert_eq!(back.to_bits(), f.to_bits(), "{f:e} written as {json}");
    }
}

#[test]
fn bytes_lists_tuples_records() {
    let bytes = Value::List(vec![Value::U8(b'h'), Value::U8(b'i')]);
    assert_eq!(encode::value(&list(Type::U8), &bytes), json!("aGk="));
    assert_eq!(
        encode::value(&list(Type::U8), &Value::List(vec![])),
        json!("")
    );
    assert_eq!(
        encode::value(&list(Type::U16), &Value::List(vec![Value::U16(1)])),
        json!([1])
    );
    let pair = Value::Tuple(vec![Value::U8(1), Value::String("a".into())]);
    assert_eq!(
        encode::value(&Type::Tuple(vec![Type::U8, Type::String]), &pair),
        json!([1, "a"])
    );
    let person = Type::Record(vec![
        field("name", Type::String),
        field("age", option(Type::U8)),
    ]);
    let anna = Value::Record(vec![
        ("name".into(), Value::String("Anna".into())),
        ("age".into(), Value::Option(None)),
    ]);
    assert_eq!(
        encode::value(&person, &anna),
        json!({"name": "Anna", "age": null})
    );
}

#[test]
fn variants_enums_flags_options_results() {
    let shape = Type::Variant(vec![case("circle", Some(Type::F64)), case("dot", None)]);
    let circle = Value::Variant("circle".into(), Some(Box::new(Value::F64(2.0))));
    assert_eq!(encode::value(&shape, &circle), json!({"circle": 2}));
    assert_eq!(
        encode::value(&shape, &Value::Variant("dot".into(), None)),
        json!({"dot": null})
    );
    assert_eq!(
        encode::value(&Type::Enum(names(&["red"])), &Value::Enum("red".into())),
        json!("red")
    );
    let perms = Type::Flags(names(&["read", "write"]));
    assert_eq!(
        encode::value(&perms, &Value::Flags(names(&["read", "write"]))),
        json!(["read", "write"])
    );
    assert_eq!(encode::value(&perms, &Value::Flags(vec![])), json!([]));
    assert_eq!(
        encode::value(&option(Type::U8), &Value::Option(None)),
        json!(null)
    );
    assert_eq!(
        encode::value(&option(Type::U8), &some(Value::U8(4))),
        json!(4)
    );
    let twice = option(option(Type::U8));
    assert_eq!(encode::value(&twice, &Value::Option(None)), json!(null));
    assert_eq!(
        encode::value(&twice, &some(Value::Option(None))),
        json!({"some": null})
    );
    assert_eq!(
        encode::value(&twice, &some(some(Value::U8(4)))),
        json!({"some": 4})
    );
    let res = result(Some(list(Type::U8)), None);
    let ok = Value::Result(Ok(Some(Box::new(Value::List(vec![Value::U8(0)])))));
    assert_eq!(encode::value(&res, &ok), json!({"ok": "AA=="}));
    assert_eq!(
        encode::value(&res, &Value::Result(Err(None))),
        json!({"err": null})
    );
}

#[test]
fn a_value_that_does_not_match_its_type_still_encodes_by_its_shape() {
    // A host bug, not an input: it must not panic.
    let odd = Value::List(vec![Value::U8(1), Value::String("x".into())]);
    assert_eq!(encode::value(&list(Type::U8), &odd), json!([1, "x"]));
    assert_eq!(encode::value(&Type::Bool, &Value::U8(3)), json!(3));
}

fn done(json: Json) -> Outcome {
    match json {
        Json::Object(map) => Outcome::Done(Some(map)),
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn outcomes_wrap_non_records_and_unwrap_a_top_level_result() {
    assert_eq!(encode::outcome(None, None), Outcome::Done(None));
    assert_eq!(
        encode::outcome(Some(&Type::F64), Some(&Value::F64(425.0))),
        done(json!({"result": 425}))
    );
    let point = Type::Record(vec![field("x", Type::S32)]);
    let origin = Value::Record(vec![("x".into(), Value::S32(0))]);
    assert_eq!(
        encode::outcome(Some(&point), Some(&origin)),
        done(json!({"x": 0}))
    );
    let top = result(Some(point.clone()), Some(Type::String));
    let ok = |v: Value| Value::Result(Ok(Some(Box::new(v))));
    assert_eq!(
        encode::outcome(Some(&top), Some(&ok(origin))),
        done(json!({"x": 0}))
    );
    let top_u8 = result(Some(Type::U8), Some(Type::String));
    assert_eq!(
        encode::outcome(Some(&top_u8), Some(&ok(Value::U8(7)))),
        done(json!({"result": 7}))
    );
    let empty = result(None, Some(Type::String));
    assert_eq!(
        encode::outcome(Some(&empty), Some(&Value::Result(Ok(None)))),
        Outcome::Done(None)
    );
    // A result inside another type is a value like any other.
    let nested = option(top_u8.clone());
    assert_eq!(
        encode::outcome(Some(&nested), Some(&some(ok(Value::U8(7))))),
        done(json!({"result": {"ok": 7}}))
    );
}

#[test]
fn errors_are_rendered_for_a_model() {
    let failed = |err_ty: Type, value: Value| {
        let ty = result(Some(Type::U8), Some(err_ty));
        encode::outcome(Some(&ty), Some(&Value::Result(Err(Some(Box::new(value))))))
    };
    let text = |s: &str| Outcome::Failed(s.into());
    assert_eq!(
        failed(Type::String, Value::String("division by zero".into())),
        text("division by zero")
    );
    assert_eq!(
        failed(
            Type::Enum(names(&["not-found"])),
            Value::Enum("not-found".into())
        ),
        text("not-found")
    );
    let why = Type::Variant(vec![case("busy", None), case("bad", Some(Type::String))]);
    assert_eq!(
        failed(why.clone(), Value::Variant("busy".into(), None)),
        text("busy")
    );
    let bad = Value::Variant("bad".into(), Some(Box::new(Value::String("x".into()))));
    assert_eq!(failed(why, bad), text(r#"{"bad":"x"}"#));
    let detail = Type::Record(vec![
        field("code", Type::U16),
        field("bytes", list(Type::U8)),
    ]);
    let value = Value::Record(vec![
        ("code".into(), Value::U16(404)),
        ("bytes".into(), Value::List(vec![Value::U8(1)])),
    ]);
    assert_eq!(
        failed(detail, value),
        text(r#"{"code":404,"bytes":"AQ=="}"#)
    );
    let no_detail = result(Some(Type::U8), None);
    let Outcome::Failed(message) =
        encode::outcome(Some(&no_detail), Some(&Value::Result(Err(None))))
    else {
        panic!("not a failure");
    };
    assert!(message.contains("no detail"), "{message}");
}
