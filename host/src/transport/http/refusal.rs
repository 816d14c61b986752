//! What a client is told when a cap refuses it a session or a stream.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// Which cap refused a session or a stream.
#[derive(Debug, Clone, Copy, thiserror::Error)]
pub enum Refusal {
    /// The host holds `max_sessions`.
    #[error(
        "moat holds {cap} MCP sessions, its limit (--max-sessions {cap}); end a session you no longer use with HTTP DELETE, or retry once idle sessions expire (--session-idle-timeout {})",
        humantime::format_duration(*idle)
    )]
    Host {
        /// The cap.
        cap: usize,
        /// When idle sessions expire.
        idle: Duration,
    },
    /// The requester's token holds `max_per_token`.
    #[error(
        "this token holds {cap} MCP sessions, its limit (--max-sessions-per-token {cap}); end a session you no longer use with HTTP DELETE, or retry once idle sessions expire (--session-idle-timeout {})",
        humantime::format_duration(*idle)
    )]
    Token {
        /// The cap.
        cap: usize,
        /// When idle sessions expire.
        idle: Duration,
    },
    /// `GET` streams hold half of `--max-connections`.
    #[error(
        "moat holds {cap} open GET streams, its limit (half of --max-connections); close a stream you no longer read, or retry later"
    )]
    Streams {
        /// The cap.
        cap: usize,
    },
    /// The shared session store (`--redis`) failed or did not answer.
    #[error(
        "the shared session store (Redis, --redis) failed or did not answer within {} (--redis-timeout): MCP sessions cannot be opened or moved to this replica now; stateless (2026-07-28) requests still work; retry later",
        humantime::format_duration(*timeout)
    )]
    Redis {
        /// The timeout of each Redis operation.
        timeout: Duration,
    },
}

impl Refusal {
    /// The HTTP status, the flag that sets the cap, the cap, and the seconds
    /// after which a retry may succeed.
    fn answer(&self) -> (StatusCode, &'static str, usize, u64) {
        match *self {
            Refusal::Host { cap, idle } => {
                let retry = idle.as_secs().max(1);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "--max-sessions",
                    cap,
                    retry,
                )
            }
            Refusal::Token { cap, idle } => {
                let retry = idle.as_secs().max(1);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    "--max-sessions-per-token",
                    cap,
                    retry,
                )
            }
            Refusal::Streams { cap } => {
                (StatusCode::SERVICE_UNAVAILABLE, "--max-connections", cap, 5)
            }
            Refusal::Redis { timeout } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "--redis-timeout",
                timeout.as_millis() as usize,
                1,
            ),
        }
    }
}

/// The answer to a refused `initialize` (or `GET`): an HTTP status and a
/// JSON-RPC error that names the cap and how to get a session back, with
/// the id of the request in `body` (null if it has none, as JSON-RPC says).
pub fn refused(refusal: Refusal, body: Option<&[u8]>) -> Response {
    let (status, limit, value, retry) = refusal.answer();
    tracing::warn!("refused a new HTTP session or stream: {refusal}");
    /// Just the id of a JSON-RPC request.
    #[derive(serde::Deserialize)]
    struct Id {
        id: serde_json::Value,
    }
    let id = body
        .and_then(|body| serde_json::from_slice::<Id>(body).ok())
        .map_or(serde_json::Value::Null, |request| request.id);
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": -32000,
            "message": refusal.to_string(),
            "data": { "limit": limit, "value": value },
        },
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
    response
}
