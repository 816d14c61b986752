//! Plain typed components (issue 13): a component built with wit-bindgen
//! alone, exporting ordinary functions, is a plugin whose functions are
//! tools, with exact schemas, arguments checked before the plugin runs, and
//! results as structured content.

use std::path::Path;
use std::process::Output;

use rmcp::model::Tool;
use serde_json::{Value, json};

use crate::harness::{MOAT, PluginDir, Served, text, tool_error};

/// The WIT sources of the `typed` fixture.
pub(crate) const TYPED_WIT: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/typed/wit");
/// The WIT sources of the `typed-resource` fixture.
pub(crate) const RESOURCE_WIT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/typed-resource/wit"
);

pub(crate) fn moat(args: &[&str]) -> Output {
    std::process::Command::new(MOAT)
        .args(args)
        .env("RUST_LOG", "info")
        .output()
        .unwrap()
}

/// Runs `moat embed-docs` on the typed fixture, writing `out`.
pub(crate) fn embed_docs(out: &Path) -> Output {
    moat(&[
        "embed-docs",
        "--wit",
        TYPED_WIT,
        moat_test_artifacts::TYPED,
        "-o",
        out.to_str().unwrap(),
    ])
}

/// A directory with the typed fixture, built as it is (no docs).
pub(crate) fn typed_dir() -> PluginDir {
    PluginDir::empty().copy(moat_test_artifacts::TYPED, "typed.wasm")
}

/// A directory with the typed fixture, its docs embedded.
pub(crate) fn documented_dir() -> PluginDir {
    let dir = PluginDir::empty();
    let output = embed_docs(&dir.path().join("typed.wasm"));
    assert!(output.status.success(), "{output:?}");
    dir
}

pub(crate) async fn tools(served: &Served) -> Vec<Tool> {
    served.client.list_all_tools().await.unwrap()
}

pub(crate) fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool `{name}`"))
}

/// Calls `name` and returns its structured content, checking that the
/// text content holds the same JSON.
pub(crate) async fn structured(served: &Served, name: &str, arguments: Value) -> Value {
    let result = served.call(name, arguments).await;
    assert_ne!(result.is_error, Some(true), "{name}: {result:?}");
    let structured = result
        .structured_content
        .clone()
        .expect("structured content");
    let text: Value = serde_json::from_str(text(&result)).unwrap();
    assert_eq!(text, structured, "{name}: the text holds the same JSON");
    structured
}

/// `{"result": value}`.
pub(crate) async fn echoed(served: &Served, name: &str, arguments: Value) -> Value {
    structured(served, name, arguments).await["result"].take()
}

#[tokio::test]
async fn functions_become_tools_named_by_the_collision_rule_with_exact_schemas() {
    let dir = typed_dir();
    let served = Served::start(&dir).await;
    let tools = tools(&served).await;
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    // `add` is exported at top level and in `kinds`: the interface's is
    // qualified; every other name is the function's own.
    assert_eq!(
        names,
        [
            "add",
            "sub",
            "mul",
            "div",
            "kinds_add",
            "ints",
            "floats",
            "text",
            "bytes",
            "numbers",
            "pair",
            "point-of",
            "person-of",
            "shape-of",
            "color-of",
            "perms-of",
            "maybe",
            "maybe-maybe",
            "nested",
            "checked",
            "unit",
            "special",
            "blob",
            "spin",
            "noisy",
        ]
    );

    let mul = tool(&tools, "mul");
    assert_eq!(
        Value::Object((*mul.input_schema).clone()),
        json!({
            "type": "object",
            "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
            "required": ["x", "y"],
            "additionalProperties": false,
        })
    );
    let output = Value::Object((**mul.output_schema.as_ref().unwrap()).clone());
    assert_eq!(output["required"], json!(["result"]), "{output}");
    assert_eq!(output["additionalProperties"], json!(false), "{output}");

    let ints = Value::Object((*tool(&tools, "ints").input_schema).clone());
    assert_eq!(
        ints["properties"]["b"],
        json!({"type": "integer", "minimum": 0, "maximum": 255})
    );
    assert_eq!(
        ints["properties"]["h"],
        json!({"type": "integer", "minimum": 0, "maximum": 18446744073709551615u64})
    );
    assert_eq!(
        ints["properties"]["g"],
        json!({"type": "integer", "minimum": -9223372036854775808i64, "maximum": 9223372036854775807i64})
    );
    let maybe = Value::Object((*tool(&tools, "maybe").input_schema).clone());
    assert_eq!(
        maybe["required"],
        json!([]),
        "an option parameter may be left out"
    );
    // `result<_, string>` has no structured success: no output schema.
    assert!(tool(&tools, "unit").output_schema.is_none());
    served.stop().await;
}

#[tokio::test]
async fn mul_answers_exactly_as_the_sdk_math_plugin_does() {
    let dir = typed_dir().copy(moat_test_artifacts::MATH, "math.wasm");
    // Both serve `mul`: the SDK's under a prefix.
    let dir = dir.write("math.toml", b"[tools]\nprefix = \"sdk\"\n");
    let served = Served::start(&dir).await;
    let typed = served.call("mul", json!({"x": 25, "y": 17})).await;
    let sdk = served.call("sdk_mul", json!({"x": 25, "y": 17})).await;
    assert_eq!(typed.structured_content, Some(json!({"result": 425})));
    assert_eq!(typed.structured_content, sdk.structured_content);
    assert_eq!(text(&typed), text(&sdk));
    served.stop().await;
}

#[tokio::test]
async fn every_wit_type_crosses_both_ways() {
    let dir = typed_dir();
    let served = Served::start(&dir).await;
    let s = &served;
    assert_eq!(
        echoed(s, "kinds_add", json!({"x": 1.5, "y": 2})).await,
        json!(3.5)
    );
    assert_eq!(echoed(s, "sub", json!({"x": 1, "y": 3})).await, json!(-2));
    assert_eq!(echoed(s, "div", json!({"x": 1, "y": 4})).await, json!(0.25));
    let ints = json!({
        "a": -128, "b": 255, "c": -32768, "d": 65535, "e": -2147483648i64,
        "f": 4294967295u64, "g": -9223372036854775808i64, "h": 18446744073709551615u64,
    });
    assert_eq!(
        echoed(s, "ints", ints).await,
        json!([
            -128,
            255,
            -32768,
            65535,
            -2147483648i64,
            4294967295u64,
            -9223372036854775808i64,
            18446744073709551615u64
        ])
    );
    assert_eq!(
        echoed(s, "floats", json!({"a": 0.5, "b": -1e300})).await,
        json!([0.5, -1e300])
    );
    assert_eq!(
        echoed(s, "text", json!({"c": "é", "s": "hi ☃"})).await,
        json!(["é", "hi ☃"])
    );
    // list<u8> is base64: "hi!" reversed is "!ih".
    assert_eq!(
        echoed(s, "bytes", json!({"b": "aGkh"})).await,
        json!("IWlo")
    );
    assert_eq!(
        echoed(s, "numbers", json!({"l": [1, -2, 3]})).await,
        json!([3, -2, 1])
    );
    assert_eq!(
        echoed(s, "pair", json!({"t": [7, "x"]})).await,
        json!([7, "x"])
    );
    // A record is the structured content itself.
    assert_eq!(
        structured(s, "point-of", json!({"p": {"x": 1, "y": -2.5}})).await,
        json!({"x": 1, "y": -2.5})
    );
    let person = structured(s, "person-of", json!({"p": {"name": "Ada", "age": 36}})).await;
    assert_eq!(person["name"], "Ada");
    assert_eq!(person["age"], 36);
    assert!(person.get("nick").is_none_or(Value::is_null), "{person}");
    for shape in [
        json!({"circle": 2.5}),
        json!({"rect": {"x": 1, "y": 2}}),
        json!({"empty": null}),
    ] {
        assert_eq!(echoed(s, "shape-of", json!({"s": shape})).await, shape);
    }
    assert_eq!(
        echoed(s, "color-of", json!({"c": "green"})).await,
        json!("green")
    );
    assert_eq!(
        echoed(s, "perms-of", json!({"p": ["read", "exec"]})).await,
        json!(["read", "exec"])
    );
    assert_eq!(echoed(s, "perms-of", json!({"p": []})).await, json!([]));
    assert_eq!(echoed(s, "maybe", json!({"o": 5})).await, json!(5));
    assert_eq!(echoed(s, "maybe", json!({"o": null})).await, Value::Null);
    assert_eq!(echoed(s, "maybe", json!({})).await, Value::Null);
    for o in [json!(null), json!({"some": null}), json!({"some": 3})] {
        assert_eq!(echoed(s, "maybe-maybe", json!({"o": o})).await, o);
    }
    let nested = json!([{"ok": 1}, {"err": "no"}]);
    assert_eq!(echoed(s, "nested", json!({"r": nested})).await, nested);
    // A top-level result: `ok` is the answer itself.
    assert_eq!(
        echoed(s, "checked", json!({"r": {"ok": 9}})).await,
        json!(9)
    );
    let done = served.call("unit", json!({"fail": false})).await;
    assert_ne!(done.is_error, Some(true), "{done:?}");
    assert!(done.structured_content.is_none());
    served.stop().await;
}

#[tokio::test]
async fn err_results_are_tool_errors_rendered_for_the_model() {
    let dir = typed_dir();
    let served = Served::start(&dir).await;
    let s = &served;
    assert_eq!(
        tool_error(s, "div", json!({"x": 1, "y": 0})).await,
        "cannot divide 1 by zero"
    );
    assert_eq!(
        tool_error(s, "checked", json!({"r": {"err": "blue"}})).await,
        "blue"
    );
    assert_eq!(
        tool_error(s, "unit", json!({"fail": true})).await,
        "asked to fail"
    );
    served.stop().await;
}

#[tokio::test]
async fn nan_and_infinities_come_back_as_strings() {
    let dir = typed_dir();
    let served = Served::start(&dir).await;
    assert_eq!(
        echoed(&served, "special", json!({})).await,
        json!(["NaN", "Infinity", "-Infinity", 1.5])
    );
    served.stop().await;
}

#[tokio::test]
async fn bad_arguments_are_refused_naming_the_path_and_never_enter_the_plugin() {
    let dir = typed_dir();
    let served = Served::start_with_env(&dir, &[("RUST_LOG", "info")]).await;
    let s = &served;
    let cases = [
        ("noisy", json!({"n": "a"}), "/n"),
        ("noisy", json!({}), "missing required argument `n`"),
        ("noisy", json!({"n": -1}), "/n"),
        ("noisy", json!({"n": 4294967296u64}), "/n"),
        ("noisy", json!({"n": 1, "m": 2}), "unknown argument `m`"),
        ("point-of", json!({"p": {"x": "a", "y": 1}}), "/p/x"),
        (
            "point-of",
            json!({"p": {"x": 1}}),
            "missing required field `y`",
        ),
        ("point-of", json!({"p": {"x": 1, "y": 2, "z": 3}}), "/p"),
        ("numbers", json!({"l": [1, "two"]}), "/l/1"),
        ("shape-of", json!({"s": {"square": 1}}), "/s"),
        ("color-of", json!({"c": "purple"}), "/c"),
        ("perms-of", json!({"p": ["read", "read"]}), "/p/1"),
        ("text", json!({"c": "ab", "s": ""}), "/c"),
        ("bytes", json!({"b": "not base64!"}), "/b"),
        ("floats", json!({"a": 1e300, "b": 1}), "/a"),
    ];
    for (tool, arguments, named) in cases {
        let message = tool_error(s, tool, arguments.clone()).await;
        assert!(
            message.contains(named) && message.contains("invalid arguments"),
            "{tool}({arguments}): {message}"
        );
    }
    // A good call enters, and says so: the log would show a bad one that did.
    assert_eq!(echoed(s, "noisy", json!({"n": 21})).await, json!(42));
    let log = served.stop().await;
    assert_eq!(log.matches("entered").count(), 1, "{log}");
}

#[tokio::test]
async fn a_function_that_never_returns_is_stopped_at_its_timeout() {
    let dir = typed_dir().write("typed.toml", b"[limits]\ntimeout = \"1s\"\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "spin", json!({})).await;
    assert!(message.contains("time limit of 1 s"), "{message}");
    assert_eq!(
        echoed(&served, "mul", json!({"x": 2, "y": 3})).await,
        json!(6)
    );
    served.stop().await;
}

#[tokio::test]
async fn a_result_over_max_output_is_refused_naming_the_limit() {
    let dir = typed_dir().write("typed.toml", b"[limits]\nmax_output = \"64 KiB\"\n");
    let served = Served::start(&dir).await;
    // 30 kB of bytes is 40 kB of base64, 80 kB as content and text.
    let message = tool_error(&served, "blob", json!({"n": 30_000})).await;
    assert!(message.contains("output limit of 65536 bytes"), "{message}");
    // 1 MB is refused while it is lifted out of the plugin (under the
    // default hostcall fuel it would be lifted, 40 MB of values, and then
    // refused by size).
    let message = tool_error(&served, "blob", json!({"n": 1_000_000})).await;
    assert!(
        message.contains("output limit of 65536 bytes") && message.contains("limits.max_output"),
        "{message}"
    );
    assert_eq!(
        echoed(&served, "blob", json!({"n": 3})).await,
        json!("BwcH")
    );
    served.stop().await;
}
