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

/// Runs `tool` (served as `served`) with `arguments` in a fresh instance.
/// Arguments that do not fit the types are a tool error naming where, and
/// never reach the plugin (no slot, no instance).
pub async fn call(
    instances: &Arc<Instances>,
    client: ClientLink,
    tool: &TypedTool,
    served: &str,
    arguments: &Map<String, Json>,
) -> Result<CallToolResult, CallError> {
    let function = &tool.func.function;
    let values = match decode::arguments(&function.params, arguments) {
        Ok(values) => values,
        Err(mismatch) => return Ok(refused(served, &mismatch.to_string())),
    };
    let op = Op::Typed {
        func: tool.func.index,
        params: values.into_iter().map(to_val).collect(),
        results: usize::from(function.result.is_some()),
    };
    let Output::Values(mut vals) = instances.run(client, op).await? else {
        unreachable!("a typed call answers values");
    };
    let value: Option<Value> = match vals.pop() {
        Some(val) => Some(from_val(val).ok_or_else(|| CallError::BadResult {
            plugin: instances.shared_name(),
            reason: "it returned a value with no JSON form".into(),
        })?),
        None => None,
    };
    match encode::outcome(function.result.as_ref(), value.as_ref()) {
        Outcome::Done(None) => Ok(CallToolResult::success(Vec::new())),
        Outcome::Done(Some(structured)) => {
            let structured = Json::Object(structured);
            let text = structured.to_string();
            // The JSON travels twice: as structured content and as text.
            instances.check_output(text.len() * 2)?;
            let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
            result.structured_content = Some(structured);
            Ok(result)
        }
        Outcome::Failed(message) => {
            instances.check_output(message.len())?;
            Ok(CallToolResult::error(vec![ContentBlock::text(message)]))
        }
    }
}

/// The tool error for arguments that do not fit.
fn refused(tool: &str, problem: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "invalid arguments for `{tool}`: {problem}; the tool's input schema gives the types"
    ))])
}
