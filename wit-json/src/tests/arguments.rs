//! Decoding the arguments object, paths, and hostile depth.

use serde_json::{Value as Json, json};

use super::decode_compound::shape;
use super::{field, list, object, option, param, some};
use crate::{Param, Type, Value, decode};

fn params() -> Vec<Param> {
    vec![
        param("x", Type::U8),
        param("shape", shape()),
        param("note", option(Type::String)),
    ]
}

#[test]
fn arguments_are_the_parameters_in_order() {
    let args = object(json!({"shape": {"dot": null}, "x": 1}));
    let values = decode::arguments(&params(), &args).unwrap();
    assert_eq!(
        values,
        [
            Value::U8(1),
            Value::Variant("dot".into(), None),
            Value::Option(None)
        ]
    );
    let args = object(json!({"shape": {"dot": null}, "x": 1, "note": "hi"}));
    assert_eq!(
        decode::arguments(&params(), &args).unwrap()[2],
        some(Value::String("hi".into()))
    );
    assert_eq!(decode::arguments(&[], &object(json!({}))).unwrap(), []);
}

#[test]
fn arguments_refusals_name_the_argument() {
    let refuse = |args: Json| decode::arguments(&params(), &object(args)).unwrap_err();
    let m = refuse(json!({"shape": {"dot": null}}));
    assert_eq!(
        (m.path.as_str(), m.problem.as_str()),
        ("", "missing required argument `x`")
    );
    assert_eq!(
        m.to_string(),
        "the arguments: missing required argument `x`"
    );
    let m = refuse(json!({"x": 1, "shape": {"dot": null}, "y": 2}));
    assert_eq!(
        m.problem,
        "unknown argument `y`; arguments are: x, shape, note"
    );
    assert_eq!(
        refuse(json!({"z": 1})).problem,
        "unknown argument `z`; arguments are: x, shape, note",
        "an unknown name before a missing one: likely a typo"
    );
    let m = refuse(json!({"x": 1, "shape": {"square": {"side": 1, "sides": 4}}}));
    assert_eq!(
        m.to_string(),
        "/shape/square: unknown field `sides`; fields are: side"
    );
    let m = refuse(json!({"x": 256, "shape": {"dot": null}}));
    assert_eq!(
        m.to_string(),
        "/x: expected an integer from 0 to 255, got 256"
    );
}

#[test]
fn paths_escape_per_rfc_6901_and_take_a_prefix() {
    let ty = Type::Record(vec![field("a/b~c", Type::Bool)]);
    assert_eq!(
        decode::value(&ty, &json!({"a/b~c": 1}), "")
            .unwrap_err()
            .path,
        "/a~1b~0c"
    );
    assert_eq!(
        decode::value(&Type::Bool, &json!(1), "/x/0")
            .unwrap_err()
            .path,
        "/x/0"
    );
}

#[test]
fn deep_input_is_refused_at_the_type_s_depth() {
    // 100,000 nested arrays (built without the parser's depth limit) where
    // a list of strings is expected: refused at the second level.
    let mut deep = json!("end");
    for _ in 0..100_000 {
        deep = Json::Array(vec![deep]);
    }
    let refusal = decode::value(&list(Type::String), &deep, "").map_err(|e| e.to_string());
    // Dropping it would recurse that deep (and a failed assertion drops
    // it): take it apart by hand first.
    let mut next = Some(deep);
    while let Some(Json::Array(mut items)) = next {
        next = items.pop();
    }
    assert_eq!(
        refusal,
        Err("/0: expected a string, got an array of 1 item".into())
    );
}

#[test]
fn messages_repeat_little_of_the_input() {
    let long = format!("x\n{}", "y".repeat(1000));
    let mut args = object(json!({}));
    args.insert(long, json!(1));
    let m = decode::arguments(&params(), &args).unwrap_err();
    let cut = format!("x\\n{}…", "y".repeat(62));
    assert_eq!(
        m.problem,
        format!("unknown argument `{cut}`; arguments are: x, shape, note")
    );
    let fields: Vec<_> = (0..40)
        .map(|i| field(&format!("f{i}"), Type::Bool))
        .collect();
    let m = decode::value(&Type::Record(fields), &json!({"nope": 1}), "").unwrap_err();
    assert!(
        m.problem
            .starts_with("unknown field `nope`; fields are: f0, f1, "),
        "{}",
        m.problem
    );
    assert!(m.problem.ends_with(", f31, … (8 more)"), "{}", m.problem);
}
