//! Turns a plugin's own description of a tool into an MCP tool definition,
//! refusing descriptions that clients could not use.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};

use crate::runtime::bindings::moat::plugin::types;

/// The longest tool name MCP allows.
const MAX_NAME_LEN: usize = 128;

/// Checks `tool` and converts it. The error says what is wrong, for the log.
pub fn to_mcp(tool: types::Tool) -> Result<Tool, String> {
    check_name(&tool.name)?;
    let input = parse_schema("input schema", &tool.input_schema)?;
    let mut mcp = Tool::new(tool.name, tool.description, input);
    if let Some(output) = &tool.output_schema {
        mcp = mcp.with_raw_output_schema(parse_schema("output schema", output)?);
    }
    if let Some(title) = tool.title {
        mcp = mcp.with_title(title);
    }
    if let Some(hints) = tool.annotations {
        mcp = mcp.with_annotations(annotations(hints));
    }
    Ok(mcp)
}

/// MCP tool names are 1 to 128 characters of `A-Z a-z 0-9 _ - .`.
fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(allowed) {
        return Err(format!(
            "has an invalid name: a tool name is 1 to {MAX_NAME_LEN} characters of A-Z, a-z, 0-9, `_`, `-` and `.`"
        ));
    }
    Ok(())
}

/// A tool schema must be a JSON object describing an object.
fn parse_schema(which: &str, text: &str) -> Result<Arc<JsonObject>, String> {
    let schema: JsonObject = serde_json::from_str(text)
        .map_err(|e| format!("has an {which} that is not a JSON object: {e}"))?;
    if schema.get("type").and_then(|t| t.as_str()) != Some("object") {
        return Err(format!("has an {which} whose \"type\" is not \"object\""));
    }
    Ok(Arc::new(schema))
}

fn annotations(hints: types::Annotations) -> ToolAnnotations {
    let mut out = ToolAnnotations::new();
    out.read_only_hint = hints.read_only;
    out.destructive_hint = hints.destructive;
    out.idempotent_hint = hints.idempotent;
    out.open_world_hint = hints.open_world;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, input: &str) -> types::Tool {
        types::Tool {
            name: name.into(),
            title: None,
            description: "d".into(),
            input_schema: input.into(),
            output_schema: None,
            annotations: None,
        }
    }

    #[test]
    fn accepts_a_plain_tool() {
        let mcp = to_mcp(tool("math.add_2-x", r#"{"type":"object"}"#)).unwrap();
        assert_eq!(mcp.name, "math.add_2-x");
    }

    #[test]
    fn refuses_bad_names() {
        for name in ["", "has space", "ünï", &"x".repeat(129)] {
            let err = to_mcp(tool(name, r#"{"type":"object"}"#)).unwrap_err();
            assert!(err.contains("invalid name"), "{name}: {err}");
        }
    }

    #[test]
    fn refuses_schemas_that_are_not_objects() {
        let err = to_mcp(tool("t", "[1]")).unwrap_err();
        assert!(
            err.contains("input schema that is not a JSON object"),
            "{err}"
        );
        let err = to_mcp(tool("t", r#"{"type":"string"}"#)).unwrap_err();
        assert!(err.contains(r#""type" is not "object""#), "{err}");
    }
}
