//! The schema of every type, both directions, and the input/output objects.

use serde_json::{Value as Json, json};

use super::{case, field, list, names, option, param, result, validator};
use crate::schema::{self, BASE64_PATTERN, Direction};
use crate::{Param, Type};

fn input(ty: &Type) -> Json {
    schema::of(ty, Direction::Input)
}

#[test]
fn integers_have_their_exact_ranges_as_json_integers() {
    let cases = [
        (Type::S8, json!(-128), json!(127)),
        (Type::U8, json!(0), json!(255)),
        (Type::S16, json!(-32768), json!(32767)),
        (Type::U16, json!(0), json!(65535)),
        (Type::S32, json!(-2147483648i64), json!(2147483647)),
        (Type::U32, json!(0), json!(4294967295u32)),
        (Type::S64, json!(i64::MIN), json!(i64::MAX)),
        (Type::U64, json!(0), json!(u64::MAX)),
    ];
    for (ty, min, max) in cases {
        let expected = json!({"type": "integer", "minimum": min, "maximum": max});
        assert_eq!(input(&ty), expected, "{ty:?}");
        assert_eq!(schema::of(&ty, Direction::Output), expected, "{ty:?}");
    }
    // Integers in the text, not floats.
    let text = input(&Type::U64).to_string();
    assert!(text.contains("\"maximum\":18446744073709551615"), "{text}");
    let text = input(&Type::S64).to_string();
    assert!(text.contains("\"minimum\":-9223372036854775808"), "{text}");
}

#[test]
fn floats_are_numbers_and_only_results_may_be_non_finite() {
    assert_eq!(input(&Type::F64), json!({"type": "number"}));
    let f32_input = input(&Type::F32);
    assert_eq!(f32_input["type"], "number");
    assert_eq!(f32_input["maximum"].as_f64(), Some(f64::from(f32::MAX)));
    assert_eq!(f32_input["minimum"].as_f64(), Some(-f64::from(f32::MAX)));
    assert_eq!(
        schema::of(&Type::F64, Direction::Output),
        json!({"anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}]})
    );
    let out = validator(&schema::of(&Type::F32, Direction::Output));
    for ok in [
        json!("NaN"),
        json!("Infinity"),
        json!("-Infinity"),
        json!(1.5),
    ] {
        assert!(out.is_valid(&ok), "{ok}");
    }
    assert!(!out.is_valid(&json!("nan")));
    assert!(!out.is_valid(&json!(1e39)));
    let inp = validator(&input(&Type::F64));
    assert!(!inp.is_valid(&json!("NaN")));
}

#[test]
fn scalars() {
    assert_eq!(input(&Type::Bool), json!({"type": "boolean"}));
    assert_eq!(input(&Type::String), json!({"type": "string"}));
    assert_eq!(
        input(&Type::Char),
        json!({"type": "string", "minLength": 1, "maxLength": 1})
    );
    let char_schema = validator(&input(&Type::Char));
    assert!(char_schema.is_valid(&json!("é")));
    assert!(
        char_schema.is_valid(&json!("😀")),
        "one code point, two UTF-16 units"
    );
    assert!(!char_schema.is_valid(&json!("ab")));
}

#[test]
fn bytes_are_canonical_base64() {
    assert_eq!(
        input(&list(Type::U8)),
        json!({"type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN})
    );
    let bytes = validator(&input(&list(Type::U8)));
    for ok in ["", "aGk=", "aGVsbG8=", "AAAA", "QQ==", "+/8="] {
        assert!(bytes.is_valid(&json!(ok)), "{ok}");
    }
    for bad in ["aGk", "QR==", "aGk==", "a===", "aGk=\n", "-_8=", "A"] {
        assert!(!bytes.is_valid(&json!(bad)), "{bad}");
    }
}

#[test]
fn lists_tuples_and_records() {
    assert_eq!(
        input(&list(Type::Bool)),
        json!({"type": "array", "items": {"type": "boolean"}})
    );
    assert_eq!(
        input(&Type::Tuple(vec![Type::Bool, Type::String])),
        json!({
            "type": "array",
            "prefixItems": [{"type": "boolean"}, {"type": "string"}],
            "items": false, "minItems": 2, "maxItems": 2,
        })
    );
    assert_eq!(
        input(&Type::Tuple(vec![])),
        json!({"type": "array", "maxItems": 0})
    );
    let mut name = field("name", Type::String);
    name.docs = Some("  Who.\n".into());
    let record = Type::Record(vec![name, field("age", option(Type::U8))]);
    assert_eq!(
        input(&record),
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Who."},
                "age": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 255}, {"type": "null"}]},
            },
            "required": ["name"],
            "additionalProperties": false,
        })
    );
}

#[test]
fn variants_enums_flags_options_and_results() {
    let mut circle = case("circle", Some(Type::F64));
    circle.docs = Some("A round one.".into());
    let variant = Type::Variant(vec![circle, case("none", None)]);
    let one = |key: &str, payload: Json| json!({"type": "object", "properties": {key: payload}, "required": [key], "additionalProperties": false});
    let mut circle_branch = one("circle", json!({"type": "number"}));
    circle_branch["description"] = json!("A round one.");
    assert_eq!(
        input(&variant),
        json!({"oneOf": [circle_branch, one("none", json!({"type": "null"}))]})
    );
    assert_eq!(
        input(&Type::Enum(names(&["red", "green"]))),
        json!({"type": "string", "enum": ["red", "green"]})
    );
    assert_eq!(
        input(&Type::Flags(names(&["read", "write"]))),
        json!({"type": "array", "items": {"enum": ["read", "write"]}, "uniqueItems": true})
    );
    assert_eq!(
        input(&option(Type::Bool)),
        json!({"anyOf": [{"type": "boolean"}, {"type": "null"}]})
    );
    let inner = json!({"anyOf": [{"type": "boolean"}, {"type": "null"}]});
    assert_eq!(
        input(&option(option(Type::Bool))),
        json!({"anyOf": [one("some", inner), {"type": "null"}]})
    );
    assert_eq!(
        input(&result(Some(Type::U8), None)),
        json!({"oneOf": [
            one("ok", json!({"type": "integer", "minimum": 0, "maximum": 255})),
            one("err", json!({"type": "null"})),
        ]})
    );
}

#[test]
fn the_input_object_requires_the_non_option_parameters_in_order() {
    let mut y = param("y", Type::String);
    y.docs = Some("The second.".into());
    let params: Vec<Param> = vec![param("x", Type::U8), param("maybe", option(Type::Bool)), y];
    let schema = Json::Object(schema::input(&params));
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["required"], json!(["x", "y"]));
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(
        schema["properties"]["y"],
        json!({"type": "string", "description": "The second."})
    );
    assert_eq!(Json::Object(schema::input(&[]))["required"], json!([]));
    let v = validator(&schema);
    assert!(v.is_valid(&json!({"x": 1, "y": "a"})));
    assert!(v.is_valid(&json!({"x": 1, "y": "a", "maybe": null})));
    assert!(!v.is_valid(&json!({"x": 1})));
    assert!(!v.is_valid(&json!({"x": 1, "y": "a", "z": 0})));
}

#[test]
fn output_is_a_record_itself_or_wrapped_as_result() {
    let record = Type::Record(vec![field("x", Type::F64)]);
    let out = Json::Object(schema::output(Some(&record)).unwrap());
    assert_eq!(
        out["properties"]["x"],
        schema::of(&Type::F64, Direction::Output)
    );
    assert_eq!(out["required"], json!(["x"]));
    let wrapped = |ty: &Type| {
        json!({
            "type": "object",
            "properties": {"result": schema::of(ty, Direction::Output)},
            "required": ["result"],
            "additionalProperties": false,
        })
    };
    assert_eq!(
        Json::Object(schema::output(Some(&Type::U8)).unwrap()),
        wrapped(&Type::U8)
    );
    assert_eq!(schema::output(None), None);
    // A top-level result is its `ok`; an `err` is a tool error.
    let top = result(Some(Type::String), Some(Type::String));
    assert_eq!(
        Json::Object(schema::output(Some(&top)).unwrap()),
        wrapped(&Type::String)
    );
    let top = result(Some(record.clone()), Some(Type::String));
    assert_eq!(schema::output(Some(&top)), schema::output(Some(&record)));
    assert_eq!(
        schema::output(Some(&result(None, Some(Type::String)))),
        None
    );
    // A result inside another type is a value like any other.
    let nested = option(result(Some(Type::U8), None));
    assert_eq!(
        Json::Object(schema::output(Some(&nested)).unwrap()),
        wrapped(&nested)
    );
}

#[test]
fn caseless_types_have_a_schema_nothing_fits() {
    for ty in [Type::Enum(vec![]), Type::Variant(vec![])] {
        let v = validator(&input(&ty));
        assert!(
            !v.is_valid(&json!("a")) && !v.is_valid(&json!({"a": null})),
            "{ty:?}"
        );
    }
    let v = validator(&input(&Type::Flags(vec![])));
    assert!(v.is_valid(&json!([])) && !v.is_valid(&json!(["a"])));
}

#[test]
fn every_schema_compiles_as_2020_12() {
    let all = super::strategies::samples();
    for ty in &all {
        validator(&input(ty));
        validator(&schema::of(ty, Direction::Output));
    }
}
