//! The rmcp client against `moat serve` over stdio with the math plugin.

use rmcp::ServiceError;
use rmcp::model::ErrorCode;
use serde_json::{Value, json};

use crate::harness::{PluginDir, Served, params, text};

#[tokio::test]
async fn lists_the_four_math_tools_with_their_schemas() {
    let served = Served::start(&PluginDir::with_math()).await;
    let tools = served.client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["add", "sub", "mul", "div"]);
    for tool in &tools {
        let input = Value::Object((*tool.input_schema).clone());
        assert_eq!(input["type"], "object", "{}", tool.name);
        assert_eq!(input["properties"]["x"]["type"], "number", "{}", tool.name);
        assert_eq!(input["properties"]["y"]["type"], "number", "{}", tool.name);
        let mut required = input["required"].as_array().unwrap().clone();
        required.sort_by_key(|v| v.to_string());
        assert_eq!(required, [json!("x"), json!("y")], "{}", tool.name);
        let output = Value::Object((*tool.output_schema.clone().unwrap()).clone());
        assert_eq!(
            output["properties"]["result"]["type"], "number",
            "{}",
            tool.name
        );
        assert!(!tool.description.as_deref().unwrap_or("").is_empty());
    }
    let mul = tools.iter().find(|t| t.name == "mul").unwrap();
    assert_eq!(mul.description.as_deref(), Some("Multiply two numbers"));
    served.stop().await;
}

#[tokio::test]
async fn each_tool_computes_and_returns_structured_content() {
    let served = Served::start(&PluginDir::with_math()).await;
    for (tool, x, y, expected) in [
        ("add", 2.5, 4.0, json!(6.5)),
        ("sub", 2.0, 3.0, json!(-1.0)),
        ("mul", 25.0, 17.0, json!(425.0)),
        ("div", 1.0, 4.0, json!(0.25)),
    ] {
        let result = served.call(tool, json!({"x": x, "y": y})).await;
        assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
        let structured = result.structured_content.clone().unwrap();
        assert_eq!(structured["result"].as_f64(), expected.as_f64(), "{tool}");
        let echoed: Value = serde_json::from_str(text(&result)).unwrap();
        assert_eq!(
            echoed, structured,
            "{tool}: the text item carries the same JSON"
        );
    }
    let product = served.call("mul", json!({"x": 25, "y": 17})).await;
    assert_eq!(product.structured_content.unwrap()["result"], 425.0);
    served.stop().await;
}

#[tokio::test]
async fn division_by_zero_is_a_tool_error() {
    let served = Served::start(&PluginDir::with_math()).await;
    let result = served.call("div", json!({"x": 1, "y": 0})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("division by zero"), "{result:?}");
    assert!(result.structured_content.is_none());
    served.stop().await;
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_naming_the_field() {
    let served = Served::start(&PluginDir::with_math()).await;
    for (arguments, field) in [
        (json!({"x": 1}), "y"),
        (json!({"x": "one", "y": 2}), "x"),
        (json!({"x": 1, "y": null}), "y"),
    ] {
        let result = served.call("add", arguments.clone()).await;
        assert_eq!(result.is_error, Some(true), "{arguments}");
        let message = text(&result);
        assert!(
            message.contains(&format!("`{field}`")) || message.contains(&format!("{field}:")),
            "{arguments}: {message}"
        );
    }
    // The server is still serving.
    let result = served.call("add", json!({"x": 1, "y": 2})).await;
    assert_eq!(result.structured_content.unwrap()["result"], 3.0);
    served.stop().await;
}

#[tokio::test]
async fn an_unknown_tool_is_a_json_rpc_error_naming_it() {
    let served = Served::start(&PluginDir::with_math()).await;
    let error = served
        .client
        .call_tool(params("pow", json!({"x": 2, "y": 8})))
        .await
        .unwrap_err();
    let ServiceError::McpError(error) = error else {
        panic!("expected a JSON-RPC error, got {error:?}");
    };
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(error.message.contains("pow"), "{}", error.message);
    served.stop().await;
}

#[tokio::test]
async fn broken_files_are_skipped_and_the_rest_is_served() {
    let dir = PluginDir::with_math()
        .write("garbage.wasm", b"this is not wasm at all")
        .write("core.wasm", b"\0asm\x01\0\0\0")
        .write("empty.wasm", b"");
    let served = Served::start(&dir).await;
    let tools = served.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 4);
    let result = served.call("mul", json!({"x": 25, "y": 17})).await;
    assert_eq!(result.structured_content.unwrap()["result"], 425.0);
    let log = served.stop().await;
    for file in ["garbage.wasm", "core.wasm", "empty.wasm"] {
        assert!(
            log.lines()
                .any(|line| line.contains(file) && line.contains("skipped")),
            "no skip message for {file} in:\n{log}"
        );
    }
    assert!(log.contains("not a WebAssembly file"), "{log}");
    assert!(
        log.contains("core WebAssembly module, not a component"),
        "{log}"
    );
}
