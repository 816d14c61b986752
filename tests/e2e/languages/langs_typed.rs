//! Plain typed components in Python and JavaScript (no `moat:plugin`): the
//! `calc` world of `tests/fixtures/python/calc/wit` (shared by
//! `tests/fixtures/js/calc`), with its docs put back by `moat embed-docs`,
//! as an author would after componentize-py or jco dropped them.

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{MOAT, PluginDir, Served, tool_error};
use crate::languages::langs::{fixture, serve_dir, structured};

/// A plugin directory holding the fixture `name` with its WIT docs embedded.
fn documented(name: &str) -> PluginDir {
    let dir = PluginDir::empty();
    let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/python/calc/wit");
    let output = std::process::Command::new(MOAT)
        .args(["embed-docs", "--wit"])
        .arg(wit)
        .arg(fixture(name))
        .arg("-o")
        .arg(dir.path().join(format!("{name}.wasm")))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`moat embed-docs` failed (it and plain typed components come with the typed host): {output:?}"
    );
    dir
}

async fn call(served: &Served, tool: &str, arguments: Value) -> Value {
    structured(&served.call(tool, arguments).await)
}

/// `{"x": …, "y": …}` as numbers, whether written `1` or `1.0`.
fn point(value: &Value) -> (f64, f64) {
    (value["x"].as_f64().unwrap(), value["y"].as_f64().unwrap())
}

/// What both plain typed fixtures show.
async fn plain_typed(name: &str) {
    let dir = documented(name);
    let served = serve_dir(&dir).await;
    let s = &served;
    let mut names = s.tool_names().await;
    names.sort();
    let expected = [
        "add",
        "check-positive",
        "div",
        "greet",
        "midpoint",
        "mul",
        "root",
        "rotate",
        "sub",
        "total",
    ];
    assert_eq!(names, expected, "toolchain exports are not tools");

    // Descriptions and schemas from the WIT.
    let tools = s.client.list_all_tools().await.unwrap();
    let mul = tools.iter().find(|t| t.name == "mul").unwrap();
    let description = mul.description.as_deref().unwrap_or_default();
    assert!(
        description.contains("The product of `x` and `y`"),
        "{mul:?}"
    );
    let input = Value::Object((*mul.input_schema).clone());
    assert_eq!(input["properties"]["x"]["type"], "number", "{input}");
    assert_eq!(input["required"], json!(["x", "y"]), "{input}");

    assert_eq!(
        call(s, "mul", json!({"x": 25, "y": 17})).await,
        json!({"result": 425})
    );
    assert_eq!(call(s, "sub", json!({"x": 1, "y": 3})).await["result"], -2);
    assert_eq!(
        call(s, "div", json!({"x": 1, "y": 4})).await["result"],
        0.25
    );
    // A record in, a record out (an object, so not wrapped).
    let mid = call(
        s,
        "midpoint",
        json!({"a": {"x": 0, "y": 0}, "b": {"x": 2, "y": 4}}),
    )
    .await;
    assert_eq!(point(&mid), (1.0, 2.0), "{mid}");
    // An enum.
    let turned = call(
        s,
        "rotate",
        json!({"p": {"x": 1, "y": 2}, "turn": "around"}),
    )
    .await;
    assert_eq!(point(&turned), (-1.0, -2.0), "{turned}");
    // A list in, an option out.
    let total = call(s, "total", json!({"values": [1, 2, 3.5]})).await;
    assert_eq!(total["result"], 6.5);
    assert_eq!(
        call(s, "total", json!({"values": []})).await,
        json!({"result": null})
    );
    // An option parameter, given or left out.
    let greeting = call(s, "greet", json!({"name": "Ada", "title": "Dr"})).await;
    assert_eq!(greeting["result"], "Hello, Dr Ada!");
    let greeting = call(s, "greet", json!({"name": "Ada"})).await;
    assert_eq!(greeting["result"], "Hello, Ada!");
    // `result<f64, string>`: ok is the result, err a tool error.
    assert_eq!(call(s, "root", json!({"x": 16})).await["result"], 4);
    let error = tool_error(s, "root", json!({"x": -1})).await;
    assert!(
        error.contains("cannot take the square root of -1"),
        "{error}"
    );
    // `result<_, string>`.
    let done = s.call("check-positive", json!({"x": 1})).await;
    assert_ne!(done.is_error, Some(true), "{done:?}");
    let error = tool_error(s, "check-positive", json!({"x": 0})).await;
    assert!(error.contains("not positive"), "{error}");

    // Bad arguments are refused before the plugin runs, naming the field.
    let cases = [
        ("mul", json!({"x": "a", "y": 1}), "/x"),
        ("mul", json!({"x": 1}), "`y`"),
        (
            "rotate",
            json!({"p": {"x": 1, "y": 2}, "turn": "sideways"}),
            "/turn",
        ),
        (
            "midpoint",
            json!({"a": {"x": 1}, "b": {"x": 1, "y": 1}}),
            "`y`",
        ),
        ("total", json!({"values": [1, "two"]}), "/values/1"),
    ];
    for (tool, arguments, named) in cases {
        let message = tool_error(s, tool, arguments.clone()).await;
        assert!(message.contains(named), "{tool}({arguments}): {message}");
    }
    assert_eq!(
        call(s, "mul", json!({"x": 2, "y": 3})).await,
        json!({"result": 6})
    );
    served.stop().await;
}

#[tokio::test]
async fn a_python_plain_component_lists_and_calls_its_typed_tools() {
    plain_typed("py-calc").await;
}

#[tokio::test]
async fn a_javascript_plain_component_lists_and_calls_its_typed_tools() {
    plain_typed("js-calc").await;
}
