//! One call of a typed tool: the arguments checked against the function's
//! types before the plugin is entered, the function run by its export
//! index, the result as structured content and as the same JSON in text.

use std::sync::Arc;

use moat_wit_json::encode::{self, Outcome};
use moat_wit_json::{Value, decode};
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value as Json};

use super::tools::TypedTool;
use super::values::{from_val, to_val};
use crate::clients::ClientLink;
use crate::runtime::{CallError, Instances, Op, Output};

/// Runs `tool` (served as `served`) with `arguments` (a JSON object as text) in a fresh instance.
/// Arguments that do not fit the types are a tool error naming where, and
/// never reach the plugin (no slot, no instance).
pub async fn call(
    instances: &Arc<Instances>,
    client: ClientLink,
    tool: &TypedTool,
    served: &str,
    arguments: &str,
) -> Result<CallToolResult, CallError> {
    let function = &tool.func.function;
    let object: Map<String, Json> = match serde_json::from_str(arguments) {
        Ok(object) => object,
        Err(error) => return Ok(refused(served, &error.to_string())),
    };
    let values = match decode::arguments(&function.params, &object) {
        Ok(values) => values,
        Err(mismatch) => return Ok(refused(served, &mismatch.to_string())),
    };
    drop(object);
    let op = Op::Typed {
        func: tool.func.index,
        params: values.into_iter().map(to_val).collect(),
        results: usize::from(function.result.is_some()),
    };
    let Output::Values(mut vals) = instances.run(client, op).await? else {
        unreachable!("a typed call answers values");
    };
    let plugin = || instances.shared_name();
    let value: Option<Value> = match vals.pop() {
        Some(val) => Some(from_val(val).ok_or_else(|| CallError::BadResult {
            plugin: plugin(),
            reason: "it returned a value with no JSON form".into(),
        })?),
        None => None,
    };
    let limit = instances.sandbox().limits().max_output;
    match encode::outcome(function.result.as_ref(), value.as_ref()) {
        Outcome::Done(None) => Ok(CallToolResult::success(Vec::new())),
        Outcome::Done(Some(structured)) => {
            let structured = Json::Object(structured);
            let text = structured.to_string();
            // The JSON travels twice: as structured content and as text.
            within(plugin, text.len() * 2, limit)?;
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            Ok(result)
        }
        Outcome::Failed(message) => {
            within(plugin, message.len(), limit)?;
            Ok(CallToolResult::error(vec![ContentBlock::text(message)]))
        }
    }
}

/// A result of `size` bytes fits the plugin's `max_output`.
fn within(plugin: impl Fn() -> Arc<str>, size: usize, limit: usize) -> Result<(), CallError> {
    if size > limit {
        return Err(CallError::Output {
            plugin: plugin(),
            size,
            limit,
        });
    }
    Ok(())
}

/// The tool error for arguments that do not fit.
fn refused(tool: &str, problem: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "invalid arguments for `{tool}`: {problem}; the tool's input schema gives the types"
    ))])
}
