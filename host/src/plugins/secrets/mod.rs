//! The manifest's `[secrets]` policy applied to what flows through a
//! plugin: a request's arguments before any instance is taken, and the
//! plugin's answers before the client sees them. With a direction `off`,
//! nothing of it is read, not even walked. `report.rs` tells what was
//! found.
//!
//! A scan of more than [`INLINE`] bytes of text runs on a blocking thread:
//! scanning is linear, but a request may carry 16 MiB (stdio) and the worst
//! input scans at a few MB/s, which would hold an async worker other
//! requests need for seconds.

mod report;

use std::borrow::Cow;
use std::sync::Arc;

use moat_secrets::Finding;
use rmcp::model::JsonObject;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub(super) use self::report::{Request, failure};
use crate::runtime::CallError;
use crate::sandbox::manifest::{SecretsMode, SecretsSection};
use crate::sandbox::redactor::Redactor;

/// Most bytes of text scanned on the async thread that asks; more is
/// scanned on a blocking thread (64 KiB: about half a millisecond of
/// ordinary text).
const INLINE: usize = 64 << 10;

/// The arguments of a tool call as the plugin may see them: as they are,
/// redacted, or refused.
pub(super) async fn arguments<'a>(
    policy: SecretsSection,
    plugin: &Arc<str>,
    tool: &str,
    arguments: &'a JsonObject,
) -> Result<Cow<'a, JsonObject>, CallError> {
    let mode = policy.arguments;
    if mode == SecretsMode::Off {
        return Ok(Cow::Borrowed(arguments));
    }
    let bytes: usize = arguments.iter().map(|(k, v)| k.len() + text_bytes(v)).sum();
    // Scanned before anything is copied: most arguments hold no secret.
    let found = match bytes <= INLINE {
        true => moat_secrets::scan_object(arguments),
        false => on_cpu(arguments.clone(), |a| moat_secrets::scan_object(&a)).await,
    };
    if found.is_empty() {
        return Ok(Cow::Borrowed(arguments));
    }
    report::incoming(plugin, Request::Tool(tool), &found, mode)?;
    let redact = |mut a: JsonObject| {
        moat_secrets::redact_object(&mut a);
        a
    };
    Ok(Cow::Owned(match bytes <= INLINE {
        true => redact(arguments.clone()),
        false => on_cpu(arguments.clone(), redact).await,
    }))
}

/// A prompt's arguments (a JSON object of strings, as text) as the plugin
/// may see them.
pub(super) async fn prompt_arguments(
    policy: SecretsSection,
    plugin: &Arc<str>,
    prompt: &str,
    json: String,
) -> Result<String, CallError> {
    let mode = policy.arguments;
    if mode == SecretsMode::Off {
        return Ok(json);
    }
    let Ok(value) = serde_json::from_str::<Value>(&json) else {
        return Ok(json); // the plugin refuses arguments that are not JSON
    };
    let (value, found) = inspect(mode, value, json.len()).await;
    if found.is_empty() {
        return Ok(json);
    }
    report::incoming(plugin, Request::Prompt(prompt), &found, mode)?;
    Ok(value.to_string())
}

/// The URI of a resource read as the plugin may see it (a URI may carry a
/// token in its query).
pub(super) async fn uri<'a>(
    policy: SecretsSection,
    plugin: &Arc<str>,
    uri: &'a str,
) -> Result<Cow<'a, str>, CallError> {
    let mode = policy.arguments;
    if mode == SecretsMode::Off {
        return Ok(Cow::Borrowed(uri));
    }
    let (value, found) = inspect(mode, Value::String(uri.to_owned()), uri.len()).await;
    if found.is_empty() {
        return Ok(Cow::Borrowed(uri));
    }
    report::incoming(plugin, Request::Read(uri), &found, mode)?;
    match value {
        Value::String(redacted) => Ok(Cow::Owned(redacted)),
        _ => unreachable!("a string is redacted into a string"),
    }
}

/// The value being completed and the context (a JSON object of the
/// arguments already chosen, as text) of a completion request, as the
/// plugin may see them; found at `/value` and `/context/NAME`.
pub(super) async fn completion_arguments<'a>(
    policy: SecretsSection,
    plugin: &Arc<str>,
    argument: &str,
    value: &'a str,
    context: String,
) -> Result<(Cow<'a, str>, String), CallError> {
    let mode = policy.arguments;
    if mode == SecretsMode::Off {
        return Ok((Cow::Borrowed(value), context));
    }
    let chosen = serde_json::from_str::<Value>(&context).unwrap_or(Value::Null);
    let both = serde_json::json!({"value": value, "context": chosen});
    let (both, found) = inspect(mode, both, value.len() + context.len()).await;
    if found.is_empty() {
        return Ok((Cow::Borrowed(value), context));
    }
    report::incoming(plugin, Request::Complete(argument), &found, mode)?;
    let value = both["value"].as_str().unwrap_or_default().to_owned();
    Ok((Cow::Owned(value), both["context"].to_string()))
}

/// A plugin's answer (a tool result, resource contents, a prompt) as the
/// client may see it: as it is, redacted, or refused. Scans its whole MCP
/// form, so every string the client would read is covered. The secrets the
/// plugin is granted (`granted`) are redacted first, whatever the policy.
pub(super) async fn answer<T: Serialize + DeserializeOwned>(
    policy: SecretsSection,
    granted: Option<&Redactor>,
    plugin: &Arc<str>,
    request: Request<'_>,
    answer: T,
) -> Result<T, CallError> {
    let mode = policy.results;
    if mode == SecretsMode::Off && granted.is_none() {
        return Ok(answer);
    }
    let bad = |reason: String| CallError::BadResult {
        plugin: plugin.clone(),
        reason,
    };
    let mut value = serde_json::to_value(&answer)
        .map_err(|error| bad(format!("it could not be scanned for secrets: {error}")))?;
    let exposed = granted.map_or_else(Vec::new, |granted| granted.redact_value(&mut value));
    if !exposed.is_empty() {
        report::exposed(plugin, request, &exposed);
    }
    let found = match mode {
        SecretsMode::Off => Vec::new(),
        _ => {
            let bytes = text_bytes(&value);
            let (scanned, found) = inspect(mode, value, bytes).await;
            value = scanned;
            found
        }
    };
    if found.is_empty() && exposed.is_empty() {
        return Ok(answer);
    }
    if !found.is_empty() {
        report::outgoing(plugin, request, &found, mode)?;
    }
    serde_json::from_value(value).map_err(|error| {
        bad(format!(
            "once its secrets were redacted it no longer reads: {error}"
        ))
    })
}

/// Scans `value` (`refuse`) or redacts it (`redact`), of about `bytes` of
/// text, here or on a blocking thread; returns it and what was found.
async fn inspect(mode: SecretsMode, value: Value, bytes: usize) -> (Value, Vec<Finding>) {
    let work = move |mut value: Value| {
        let found = match mode {
            SecretsMode::Redact => moat_secrets::redact_value(&mut value),
            _ => moat_secrets::scan_value(&value),
        };
        (value, found)
    };
    match bytes <= INLINE {
        true => work(value),
        false => on_cpu(value, work).await,
    }
}

/// `work(input)` on a blocking thread.
async fn on_cpu<T, R>(input: T, work: impl FnOnce(T) -> R + Send + 'static) -> R
where
    T: Send + 'static,
    R: Send + 'static,
{
    match tokio::task::spawn_blocking(move || work(input)).await {
        Ok(output) => output,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// The bytes of text in `value`: its strings and keys. A walk with its own
/// stack, no regex: cheap beside the scan it sizes.
fn text_bytes(value: &Value) -> usize {
    let mut bytes = 0;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(text) => bytes += text.len(),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                for (key, item) in map {
                    bytes += key.len();
                    stack.push(item);
                }
            }
            _ => bytes += 8,
        }
    }
    bytes
}
