//! What one line of stdin is, by JSON-RPC 2.0: pure, so that it can be
//! driven with arbitrary input without a process.
//!
//! A line rmcp parses is passed on after one parse (the hot path). Only a
//! line it refuses is parsed again, as plain JSON, to choose the answer:
//! `-32700` for what is not JSON, `-32600` for JSON that is not a request
//! (echoing the request's `id` when it is a valid one, else `null`), and
//! nothing at all for what looks like a notification or a response, which
//! JSON-RPC forbids answering.

use rmcp::RoleServer;
use rmcp::model::{ErrorData, RequestId};
use rmcp::service::RxJsonRpcMessage;
use serde_json::{Map, Value, json};

use crate::protocol::invalid_params;

/// What one line of input turned out to be.
#[derive(Debug)]
pub enum Line {
    /// A JSON-RPC message for rmcp.
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    /// Nothing but whitespace: skipped.
    Blank,
    /// A notification or a response rmcp cannot read: JSON-RPC forbids
    /// answering it, so it is dropped, and the reason logged.
    Ignored(String),
    /// Answered at once with this error.
    Reply(Reply),
}

/// A JSON-RPC error the transport writes itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The request's id; `None` is written as `"id": null`, as JSON-RPC 2.0
    /// requires when the id cannot be read.
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorData,
}

impl Reply {
    /// `-32700 Parse error`, for what is not JSON.
    pub fn parse_error(message: impl std::fmt::Display) -> Self {
        let error = ErrorData::parse_error(format!("Parse error: {message}"), None);
        Self { id: None, error }
    }

    /// `-32600 Invalid request` for the request `id`.
    pub fn invalid_request(id: Option<RequestId>, message: impl std::fmt::Display) -> Self {
        let error = ErrorData::invalid_request(format!("Invalid request: {message}"), None);
        Self { id, error }
    }

    /// The line to write, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let id = self
            .id
            .clone()
            .map_or(Value::Null, RequestId::into_json_value);
        let mut line = json!({"jsonrpc": "2.0", "id": id, "error": self.error}).to_string();
        line.push('\n');
        line.into_bytes()
    }
}

/// Classifies one line (without its newline).
pub fn classify(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Blank;
    }
    match serde_json::from_slice(line) {
        Ok(message) => Line::Message(Box::new(message)),
        Err(error) => refused(line, &error),
    }
}

/// The answer to a line rmcp could not read.
fn refused(line: &[u8], error: &serde_json::Error) -> Line {
    let value = match serde_json::from_slice::<Value>(line) {
        Ok(value) => value,
        Err(error) => return Line::Reply(Reply::parse_error(error)),
    };
    let Value::Object(message) = value else {
        let why = match value {
            Value::Array(_) => "batches are not supported; send one message per line",
            _ => "a message is a JSON object",
        };
        return Line::Reply(Reply::invalid_request(None, why));
    };
    let responds = message.contains_key("result") || message.contains_key("error");
    match message.get("id") {
        None if message.contains_key("method") => {
            Line::Ignored(format!("a notification rmcp cannot read: {error}"))
        }
        _ if responds && !message.contains_key("method") => {
            Line::Ignored(format!("a response rmcp cannot read: {error}"))
        }
        None => Line::Reply(Reply::invalid_request(None, what_is_wrong(&message, error))),
        Some(id) => match serde_json::from_value::<RequestId>(id.clone()) {
            Ok(id) => Line::Reply(match params_not_an_object(&message) {
                Some(error) => Reply {
                    id: Some(id),
                    error,
                },
                None => Reply::invalid_request(Some(id), what_is_wrong(&message, error)),
            }),
            Err(_) => Line::Reply(Reply::invalid_request(None, bad_id(id))),
        },
    }
}

/// `-32602` for a well-formed request whose params are not an object,
/// which rmcp refuses before any handler sees it (MCP's params are named).
fn params_not_an_object(message: &Map<String, Value>) -> Option<ErrorData> {
    let method = message.get("method")?.as_str()?;
    let params = message.get("params").filter(|params| !params.is_object())?;
    let well_formed = message.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    well_formed.then(|| invalid_params(method, Some(params)))
}

/// Why a message with a usable (or no) id is not a request, in words.
fn what_is_wrong(message: &Map<String, Value>, error: &serde_json::Error) -> String {
    if message.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return "`jsonrpc` must be \"2.0\"".to_owned();
    }
    match message.get("method") {
        None => "a request needs a `method`".to_owned(),
        Some(Value::String(_)) => error.to_string(),
        Some(_) => "`method` must be a string".to_owned(),
    }
}

/// Why `id` is not one this server can answer.
fn bad_id(id: &Value) -> String {
    match id {
        Value::Number(number) => {
            format!("the id {number} is not an integer from -2^63 to 2^63-1 (nor a string)")
        }
        Value::Null => "the id is null: a request's id is a string or an integer".to_owned(),
        _ => "a request's id is a string or an integer".to_owned(),
    }
}
