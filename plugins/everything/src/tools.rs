//! Tools that answer with every kind of MCP content, fail, report progress,
//! log, or take a hand-written JSON Schema.
//!
//! A tool whose function returns [`Content`] (or a [`ToolResult`] of
//! several items) sends exactly that content and has no output schema; a
//! tool's `Err` is a result with `isError: true` that the model reads.

use std::thread::sleep;
use std::time::Duration;

use moat_plugin_sdk::serde_json::{Map, Value, json};
use moat_plugin_sdk::{
    Content, Level, NoArguments, ResourceContents, Server, Tool, ToolError, ToolResult, client, log,
};

use crate::{RED_PIXEL_PNG, SILENCE_WAV};

pub fn add(server: Server) -> Server {
    server
        .tool(Tool::new(
            "test_simple_text",
            "Tests simple text content response",
            simple_text,
        ))
        .tool(Tool::new(
            "test_image_content",
            "Tests image content response",
            image,
        ))
        .tool(Tool::new(
            "test_audio_content",
            "Tests audio content response",
            audio,
        ))
        .tool(Tool::new(
            "test_embedded_resource",
            "Tests embedded resource content response",
            embedded_resource,
        ))
        .tool(Tool::new(
            "test_multiple_content_types",
            "Tests response with multiple content types (text, image, resource)",
            multiple_content_types,
        ))
        .tool(Tool::new(
            "test_error_handling",
            "Tests error response handling",
            error_handling,
        ))
        .tool(Tool::new(
            "test_tool_with_progress",
            "Tests tool that reports progress notifications",
            with_progress,
        ))
        .tool(Tool::new(
            "test_tool_with_logging",
            "Tests tool that emits log messages during execution",
            with_logging,
        ))
        .tool(Tool::new(
            "test_logging_tool",
            "Logs while it runs; the messages reach only clients that asked for them",
            logging_tool,
        ))
        .tool(
            Tool::new(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features ($defs, $anchor, allOf, if/then/else)",
                json_schema_2020_12,
            )
            .input_schema(json_schema_2020_12_input()),
        )
        .tool(
            Tool::new(
                "test_custom_header",
                "Echoes a region that clients also send as the `Mcp-Param-Region` HTTP header",
                custom_header,
            )
            .input_schema(json!({
                "type": "object",
                "properties": {
                    "region": {
                        "type": "string",
                        "description": "A region name, mirrored into the Mcp-Param-Region header",
                        "x-mcp-header": "Region"
                    }
                },
                "required": ["region"]
            })),
        )
}

/// `x-mcp-header` asks HTTP clients to mirror the argument into a header,
/// which the host checks against the body before the plugin runs.
fn custom_header(arguments: Map<String, Value>) -> Result<Content, ToolError> {
    let region = arguments
        .get("region")
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(Content::text(format!("Region: {region}")))
}

fn simple_text(_: NoArguments) -> Result<Content, ToolError> {
    Ok(Content::text("This is a simple text response for testing."))
}

fn image(_: NoArguments) -> Result<Content, ToolError> {
    Ok(Content::image(RED_PIXEL_PNG, "image/png"))
}

fn audio(_: NoArguments) -> Result<Content, ToolError> {
    Ok(Content::audio(SILENCE_WAV, "audio/wav"))
}

fn embedded_resource(_: NoArguments) -> Result<Content, ToolError> {
    Ok(Content::embedded(ResourceContents::text(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    )))
}

fn multiple_content_types(_: NoArguments) -> Result<ToolResult, ToolError> {
    Ok(ToolResult::from(vec![
        Content::text("Multiple content types test:"),
        Content::image(RED_PIXEL_PNG, "image/png"),
        Content::embedded(ResourceContents::text(
            "test://mixed-content-resource",
            "application/json",
            r#"{"test":"data","value":123}"#,
        )),
    ]))
}

fn error_handling(_: NoArguments) -> Result<Content, ToolError> {
    Err(ToolError::new(
        "This tool intentionally returns an error for testing",
    ))
}

/// Reports 0, 50 and 100 of 100. The client sees the reports only if it
/// sent a progress token, before the result.
fn with_progress(_: NoArguments) -> Result<Content, ToolError> {
    client::progress(0.0, Some(100.0), None);
    sleep(Duration::from_millis(50));
    client::progress(50.0, Some(100.0), None);
    sleep(Duration::from_millis(50));
    client::progress(100.0, Some(100.0), None);
    Ok(Content::text("Progress test completed (3 steps)"))
}

/// Logs three messages at `info`; they reach the client as
/// `notifications/message` if it asked for that level.
fn with_logging(_: NoArguments) -> Result<Content, ToolError> {
    log(Level::Info, "Tool execution started");
    sleep(Duration::from_millis(50));
    log(Level::Info, "Tool processing data");
    sleep(Duration::from_millis(50));
    log(Level::Info, "Tool execution completed");
    Ok(Content::text("Logging test completed"))
}

fn logging_tool(_: NoArguments) -> Result<Content, ToolError> {
    log(Level::Debug, "test_logging_tool: starting");
    log(Level::Info, "test_logging_tool: working");
    Ok(Content::text("Logged two messages"))
}

/// Takes the arguments as a plain JSON object: the schema says more than a
/// Rust type could, and the host passes it to clients untouched.
fn json_schema_2020_12(arguments: Map<String, Value>) -> Result<Content, ToolError> {
    let name = arguments.get("name").and_then(Value::as_str);
    Ok(Content::text(format!(
        "Received {} argument(s){}",
        arguments.len(),
        name.map(|name| format!(", name {name}"))
            .unwrap_or_default()
    )))
}

fn json_schema_2020_12_input() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {
                    "street": { "type": "string" },
                    "city": { "type": "string" }
                }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" }
        },
        "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "if": {
            "properties": { "contactMethod": { "const": "phone" } },
            "required": ["contactMethod"]
        },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use moat_plugin_sdk::{EmbeddedResource, ResourceBody};

    use super::*;

    fn call(name: &str) -> ToolResult {
        add(Server::new()).call_tool(name, "{}")
    }

    #[test]
    fn content_tools_answer_with_exact_content() {
        assert_eq!(
            call("test_simple_text").content,
            [Content::text("This is a simple text response for testing.")]
        );
        let mixed = call("test_multiple_content_types").content;
        assert_eq!(mixed.len(), 3);
        assert_eq!(
            mixed[2],
            Content::EmbeddedResource(EmbeddedResource {
                uri: "test://mixed-content-resource".into(),
                mime_type: Some("application/json".into()),
                body: ResourceBody::Text(r#"{"test":"data","value":123}"#.into()),
            })
        );
    }

    #[test]
    fn content_tools_have_no_output_schema() {
        let tools = add(Server::new()).describe_tools();
        assert!(tools.iter().all(|tool| tool.output_schema.is_none()));
    }

    #[test]
    fn error_handling_is_a_tool_error() {
        let result = call("test_error_handling");
        assert!(result.is_error);
        assert_eq!(
            result.content,
            [Content::text(
                "This tool intentionally returns an error for testing"
            )]
        );
    }

    #[test]
    fn the_2020_12_schema_is_passed_through() {
        let tools = add(Server::new()).describe_tools();
        let tool = tools
            .iter()
            .find(|tool| tool.name == "json_schema_2020_12_tool")
            .unwrap();
        let schema: Value = moat_plugin_sdk::serde_json::from_str(&tool.input_schema).unwrap();
        assert_eq!(schema, json_schema_2020_12_input());
    }
}
