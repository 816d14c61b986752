//! Decoding compound types: paths into them, and each refusal.

use serde_json::json;

use super::decode::{accepted, refused};
use super::{case, field, list, names, option, result, some};
use crate::{Type, Value};

#[test]
fn lists_and_tuples_say_which_item() {
    let words = list(Type::String);
    assert_eq!(accepted(&words, json!([])), Value::List(vec![]));
    assert_eq!(
        refused(&words, json!(["a", "b", "c", 4])),
        "/3: expected a string, got 4"
    );
    assert_eq!(
        refused(&list(list(Type::Bool)), json!([[], [true, 1]])),
        "/1/1: expected a boolean, got 1"
    );
    let pair = Type::Tuple(vec![Type::U8, Type::String]);
    assert_eq!(
        accepted(&pair, json!([1, "a"])),
        Value::Tuple(vec![Value::U8(1), Value::String("a".into())])
    );
    assert_eq!(
        refused(&pair, json!([1])),
        ": expected an array of 2 items, got an array of 1 item"
    );
    assert_eq!(
        refused(&pair, json!([1, 2])),
        "/1: expected a string, got 2"
    );
    assert_eq!(
        refused(&pair, json!({"0": 1})),
        ": expected an array of 2 items, got an object"
    );
}

pub(super) fn person() -> Type {
    Type::Record(vec![
        field("name", Type::String),
        field("age", option(Type::U8)),
    ])
}

#[test]
fn records_want_every_field_and_no_other() {
    let anna = |age| {
        Value::Record(vec![
            ("name".into(), Value::String("Anna".into())),
            ("age".into(), age),
        ])
    };
    assert_eq!(
        accepted(&person(), json!({"name": "Anna", "age": 7})),
        anna(some(Value::U8(7)))
    );
    assert_eq!(
        accepted(&person(), json!({"name": "Anna"})),
        anna(Value::Option(None))
    );
    assert_eq!(
        accepted(&person(), json!({"name": "Anna", "age": null})),
        anna(Value::Option(None))
    );
    assert_eq!(
        refused(&person(), json!({"age": 7})),
        ": missing required field `name`"
    );
    assert_eq!(
        refused(&person(), json!({"nmae": "Anna"})),
        ": unknown field `nmae`; fields are: name, age"
    );
    assert_eq!(
        refused(&person(), json!({"name": "A", "x": 1})),
        ": unknown field `x`; fields are: name, age"
    );
    assert_eq!(
        refused(&person(), json!({"name": "A", "age": 300})),
        "/age: expected an integer from 0 to 255, got 300"
    );
    assert_eq!(
        refused(&person(), json!("Anna")),
        ": expected an object with fields: name, age, got a string"
    );
    let outer = Type::Record(vec![field("who", person())]);
    assert_eq!(
        refused(&outer, json!({"who": {"name": 1}})),
        "/who/name: expected a string, got 1"
    );
}

pub(super) fn shape() -> Type {
    let square = Type::Record(vec![field("side", Type::F64)]);
    Type::Variant(vec![
        case("circle", Some(Type::F64)),
        case("square", Some(square)),
        case("dot", None),
        case("maybe", Some(option(Type::U8))),
    ])
}

#[test]
fn variants_take_one_known_case_and_its_payload() {
    assert_eq!(
        accepted(&shape(), json!({"circle": 2})),
        Value::Variant("circle".into(), Some(Box::new(Value::F64(2.0))))
    );
    assert_eq!(
        accepted(&shape(), json!({"dot": null})),
        Value::Variant("dot".into(), None)
    );
    assert_eq!(
        accepted(&shape(), json!({"maybe": null})),
        Value::Variant("maybe".into(), Some(Box::new(Value::Option(None))))
    );
    let cases = "circle, square, dot, maybe";
    assert_eq!(
        refused(&shape(), json!({"oval": 1})),
        format!(": unknown case `oval`; cases are: {cases}")
    );
    assert_eq!(
        refused(&shape(), json!({})),
        format!(": expected an object with exactly one key, one of: {cases}; got 0 keys")
    );
    assert_eq!(
        refused(&shape(), json!({"circle": 1, "dot": null})),
        format!(": expected an object with exactly one key, one of: {cases}; got 2 keys")
    );
    assert_eq!(
        refused(&shape(), json!("dot")),
        format!(": expected an object with exactly one key, one of: {cases}, got a string")
    );
    assert_eq!(
        refused(&shape(), json!({"dot": 1})),
        "/dot: expected null (`dot` has no payload), got 1"
    );
    assert_eq!(
        refused(&shape(), json!({"dot": {}})),
        "/dot: expected null (`dot` has no payload), got an object"
    );
    assert_eq!(
        refused(&shape(), json!({"circle": null})),
        "/circle: expected a finite number, got null"
    );
    assert_eq!(
        refused(&shape(), json!({"square": {"side": "x"}})),
        "/square/side: expected a finite number, got a string"
    );
}

#[test]
fn results_are_ok_or_err() {
    let ty = result(Some(Type::U8), Some(Type::String));
    assert_eq!(
        accepted(&ty, json!({"ok": 1})),
        Value::Result(Ok(Some(Box::new(Value::U8(1)))))
    );
    assert_eq!(
        accepted(&ty, json!({"err": "no"})),
        Value::Result(Err(Some(Box::new(Value::String("no".into())))))
    );
    assert_eq!(
        accepted(&result(None, None), json!({"ok": null})),
        Value::Result(Ok(None))
    );
    assert_eq!(
        refused(&ty, json!({"fine": 1})),
        ": unknown case `fine`; cases are: ok, err"
    );
    assert_eq!(
        refused(&ty, json!({"ok": 1, "err": "x"})),
        ": expected an object with exactly one key, one of: ok, err; got 2 keys"
    );
    assert_eq!(
        refused(&ty, json!({"err": 1})),
        "/err: expected a string, got 1"
    );
    assert_eq!(
        refused(&result(None, None), json!({"ok": 1})),
        "/ok: expected null (`ok` has no payload), got 1"
    );
}

#[test]
fn enums_and_flags() {
    let color = Type::Enum(names(&["red", "green"]));
    assert_eq!(
        accepted(&color, json!("green")),
        Value::Enum("green".into())
    );
    assert_eq!(
        refused(&color, json!("blue")),
        ": unknown case `blue`; cases are: red, green"
    );
    assert_eq!(
        refused(&color, json!(0)),
        ": expected a string, one of: red, green, got 0"
    );
    let perms = Type::Flags(names(&["read", "write", "exec"]));
    let set = |f: &[&str]| Value::Flags(names(f));
    assert_eq!(accepted(&perms, json!([])), set(&[]));
    assert_eq!(
        accepted(&perms, json!(["exec", "read"])),
        set(&["read", "exec"]),
        "in the type's order"
    );
    assert_eq!(
        refused(&perms, json!(["read", "delete"])),
        "/1: unknown flag `delete`; flags are: read, write, exec"
    );
    assert_eq!(
        refused(&perms, json!(["read", "read"])),
        "/1: flag `read` is repeated; each may appear once"
    );
    assert_eq!(
        refused(&perms, json!([1])),
        "/0: expected a flag name, one of: read, write, exec; got 1"
    );
    assert_eq!(
        refused(&perms, json!("read")),
        ": expected an array of flags, any of: read, write, exec, got a string"
    );
}

#[test]
fn options_and_options_of_options() {
    assert_eq!(
        accepted(&option(Type::U8), json!(null)),
        Value::Option(None)
    );
    assert_eq!(accepted(&option(Type::U8), json!(4)), some(Value::U8(4)));
    assert_eq!(
        refused(&option(Type::U8), json!("4")),
        ": expected an integer from 0 to 255, got a string"
    );
    let twice = option(option(Type::U8));
    assert_eq!(accepted(&twice, json!(null)), Value::Option(None));
    assert_eq!(
        accepted(&twice, json!({"some": null})),
        some(Value::Option(None))
    );
    assert_eq!(
        accepted(&twice, json!({"some": 4})),
        some(some(Value::U8(4)))
    );
    assert_eq!(
        refused(&twice, json!(4)),
        ": expected null or {\"some\": …}, got 4"
    );
    assert_eq!(
        refused(&twice, json!({"some": 4, "x": 1})),
        ": expected null or {\"some\": …}, got an object"
    );
    assert_eq!(
        refused(&twice, json!({"some": "4"})),
        "/some: expected an integer from 0 to 255, got a string"
    );
}
