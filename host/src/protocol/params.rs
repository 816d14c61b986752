//! `-32602 Invalid params` for a known method whose params do not fit.
//!
//! rmcp deserializes each request into the variant its method names; when
//! the params do not fit (an array for `arguments`, `name` missing, params
//! a string) it falls back to a `CustomRequest` carrying the raw params, and
//! its default answer is `-32601 Method not found`, which tells the client
//! the method does not exist. JSON-RPC names `-32602` for this case, so
//! [`invalid_params`] deserializes the params into the method's real type
//! again and reports, in words, what serde refused. This runs only on the
//! error path: a request whose params fit never gets here.

// rmcp marks logging deprecated (SEP-2577), yet `logging/setLevel` is part
// of the 2025-11-25 protocol.
#![allow(deprecated)]

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CompleteRequestParams, ErrorCode, GetPromptRequestParams,
    InitializeRequestParams, PaginatedRequestParams, ReadResourceRequestParams,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The error for a request rmcp could not match to a method it handles:
/// `-32602` naming what is wrong for a method the server serves, else
/// `-32601` naming the method.
pub fn invalid_params(method: &str, params: Option<&Value>) -> ErrorData {
    let problem = match method {
        "initialize" => required::<InitializeRequestParams>(params),
        "tools/call" => required::<CallToolRequestParams>(params),
        "resources/read" => required::<ReadResourceRequestParams>(params),
        "resources/subscribe" => required::<SubscribeRequestParams>(params),
        "resources/unsubscribe" => required::<UnsubscribeRequestParams>(params),
        "prompts/get" => required::<GetPromptRequestParams>(params),
        "completion/complete" => required::<CompleteRequestParams>(params),
        "logging/setLevel" => required::<SetLevelRequestParams>(params),
        "subscriptions/listen" => required::<SubscriptionsListenRequestParams>(params),
        "tools/list" | "resources/list" | "resources/templates/list" | "prompts/list" => {
            optional::<PaginatedRequestParams>(params)
        }
        "ping" | "server/discover" => optional::<serde_json::Map<String, Value>>(params),
        _ => None,
    };
    // Params that fit mean rmcp refused the method for another reason: it
    // does not exist in the request's protocol era (`initialize`,
    // `logging/setLevel` and `resources/(un)subscribe` on a stateless
    // 2026-07-28 request), which is `-32601` (HTTP 404 over HTTP).
    match problem {
        Some(problem) => ErrorData::invalid_params(format!("{method}: {problem}"), None),
        None => ErrorData::new(ErrorCode::METHOD_NOT_FOUND, method.to_owned(), None),
    }
}

/// What is wrong with params a method requires, if serde says.
fn required<T: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    match params {
        None => Some("`params` is required".to_owned()),
        Some(params) => optional::<T>(Some(params)),
    }
}

/// What is wrong with params a method may omit, if serde says.
fn optional<T: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    let params = params?;
    if !params.is_object() {
        return Some(format!("`params` must be an object, got {}", kind(params)));
    }
    let error = serde_path_to_error::deserialize::<_, T>(params).err()?;
    let path = error.path().to_string();
    Some(in_words(&path, &error.into_inner().to_string()))
}

/// serde's message about the value at `path` (`.` for the params
/// themselves), as a sentence naming the field.
fn in_words(path: &str, message: &str) -> String {
    let field = |name: &str| match (path, name) {
        (".", "") => "`params`".to_owned(),
        (".", name) => format!("`{name}`"),
        (path, "") => format!("`{path}`"),
        (path, name) => format!("`{path}.{name}`"),
    };
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return format!("{} is required", field(name));
    }
    if let Some((got, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return format!(
            "{} must be {}, got {}",
            field(""),
            expected_words(expected),
            got_words(got)
        );
    }
    format!("{}: {message}", field(""))
}

/// serde's "expected ..." in JSON's words.
fn expected_words(expected: &str) -> &str {
    match expected {
        "a map" | "a JSON object" => "an object",
        "a sequence" => "an array",
        "a borrowed string" | "a string" => "a string",
        _ if expected.starts_with("struct ") => "an object",
        _ => expected,
    }
}

/// serde's "invalid type: ..." in JSON's words.
fn got_words(got: &str) -> String {
    match got {
        "sequence" => "an array".to_owned(),
        "map" => "an object".to_owned(),
        "unit value" | "null" => "null".to_owned(),
        _ => match got.split_once(' ') {
            Some(("string", text)) => format!("the string {text}"),
            Some(("integer" | "floating", number)) => {
                format!(
                    "the number {}",
                    number.trim_start_matches("point ").trim_matches('`')
                )
            }
            Some(("boolean", value)) => value.trim_matches('`').to_owned(),
            _ => got.to_owned(),
        },
    }
}

/// A JSON value's kind, for a message.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(value) => value.to_string(),
        Value::Number(number) => format!("the number {number}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::invalid_params;

    fn message(method: &str, params: Option<serde_json::Value>) -> String {
        let error = invalid_params(method, params.as_ref());
        assert_eq!(error.code.0, -32602, "{error:?}");
        error.message.into_owned()
    }

    #[test]
    fn names_the_field_and_what_it_got() {
        assert_eq!(
            message("tools/call", Some(json!({"name": "mul", "arguments": [1]}))),
            "tools/call: `arguments` must be an object, got an array"
        );
        assert_eq!(
            message("tools/call", Some(json!({"name": "mul", "arguments": "x"}))),
            "tools/call: `arguments` must be an object, got the string \"x\""
        );
        assert_eq!(
            message("tools/call", Some(json!({"arguments": {}}))),
            "tools/call: `name` is required"
        );
        assert_eq!(
            message("tools/call", Some(json!(7))),
            "tools/call: `params` must be an object, got the number 7"
        );
        assert_eq!(
            message("tools/call", None),
            "tools/call: `params` is required"
        );
        assert_eq!(
            message("tools/call", Some(json!({"name": 5}))),
            "tools/call: `name` must be a string, got the number 5"
        );
        assert_eq!(
            message("tools/list", Some(json!({"cursor": 5}))),
            "tools/list: `cursor` must be a string, got the number 5"
        );
        assert_eq!(
            message("resources/read", Some(json!({"uri": null}))),
            "resources/read: `uri` must be a string, got null"
        );
    }

    #[test]
    fn an_unknown_method_is_not_found() {
        let error = invalid_params("no/such", None);
        assert_eq!(error.code.0, -32601);
        assert_eq!(error.message, "no/such");
    }
}
