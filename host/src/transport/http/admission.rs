//! The guard's admission step, after the body is read and before rmcp or
//! any plugin sees it: a `tools/call`, `resources/read` or `prompts/get`
//! outside the caller's policy is answered 403 `insufficient_scope` (RFC
//! 6750 §3.1, as the MCP authorization spec says), and a `tools/call` past
//! a rate limit 429 with `Retry-After`. Both with a JSON-RPC error body.
//!
//! Only names that exist are decided here (and counted): a name no plugin
//! serves goes on to rmcp, which answers it as unknown. The handler checks
//! the policy again (and filters the lists); it does not count the limits
//! again for a request marked [`Charged`](crate::access::Charged).

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use moat_policy::Target;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::rate::Limited;
use crate::access::{Access, Gate};
use crate::auth::{Challenge, Identity};
use crate::plugins::LiveRegistry;

/// The JSON-RPC error code of a request the policy refuses (HTTP 403).
pub const FORBIDDEN: i64 = -32003;

/// The JSON-RPC error code of a call past a rate limit (HTTP 429).
pub const RATE_LIMITED: i64 = -32029;

/// What the admission step decides with.
#[derive(Clone)]
pub struct Admission {
    /// The policy and rate limits.
    pub access: Access,
    /// The plugins served, to know which names exist and who serves them.
    pub registry: LiveRegistry,
    /// The 403's challenge; `None`: `Bearer error="insufficient_scope"`
    /// and the scopes, without `resource_metadata`.
    pub challenge: Option<Arc<Challenge>>,
}

/// What admission decided for one request.
pub enum Admitted {
    /// It goes on; `charged`: its calls were counted against the limits.
    Passed {
        /// Whether its calls were counted.
        charged: bool,
    },
    /// It is answered with this (403 or 429).
    Refused(Response),
}

/// The parts of a JSON-RPC message admission reads; the rest is skipped.
#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    id: Value,
    #[serde(default)]
    method: String,
    #[serde(default)]
    params: Params,
}

#[derive(Deserialize, Default)]
struct Params {
    name: Option<String>,
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Messages {
    One(Message),
    Batch(Vec<Message>),
}

impl Admission {
    /// The 403 or 429 for `body`, or whether its calls were counted
    /// against the rate limits (then mark it
    /// [`Charged`](crate::access::Charged)).
    pub fn admit(&self, identity: &Identity, body: &Bytes) -> Admitted {
        let passed = Admitted::Passed { charged: false };
        if !self.access.has_policy() && !self.access.has_limits() {
            return passed;
        }
        // What does not parse is rmcp's to refuse.
        let messages = match serde_json::from_slice::<Messages>(body) {
            Ok(Messages::One(message)) => vec![message],
            Ok(Messages::Batch(messages)) => messages,
            Err(_) => return passed,
        };
        let gate = self.access.gate(identity);
        let mut charged = false;
        for message in &messages {
            if let Some(refused) = self.admit_one(identity, &gate, message, &mut charged) {
                return Admitted::Refused(refused);
            }
        }
        Admitted::Passed { charged }
    }

    fn admit_one(
        &self,
        identity: &Identity,
        gate: &Gate,
        message: &Message,
        charged: &mut bool,
    ) -> Option<Response> {
        let registry = self.registry.current();
        let (what, name, refusal) = match (message.method.as_str(), &message.params) {
            (
                "tools/call",
                Params {
                    name: Some(name), ..
                },
            ) => {
                let plugin = registry.route(name)?;
                let target = Target::Tool {
                    name,
                    plugin: plugin.name(),
                };
                if let Some(scopes) = gate.refusal(&target) {
                    ("call the tool", name, scopes)
                } else {
                    return match self.access.charge(identity, name) {
                        Ok(()) => {
                            *charged = true;
                            None
                        }
                        Err(limited) => Some(too_many(&message.id, &limited)),
                    };
                }
            }
            ("resources/read", Params { uri: Some(uri), .. }) => {
                let routes = registry.resource_routes(uri);
                if routes.is_empty() {
                    return None;
                }
                let mut scopes: Vec<String> = Vec::new();
                for plugin in routes {
                    let target = Target::Resource {
                        uri,
                        plugin: plugin.name(),
                    };
                    let more = gate.refusal(&target)?;
                    for scope in more {
                        if !scopes.contains(&scope) {
                            scopes.push(scope);
                        }
                    }
                }
                ("read the resource", uri, scopes)
            }
            (
                "prompts/get",
                Params {
                    name: Some(name), ..
                },
            ) => {
                let plugin = registry.prompt_route(name)?;
                match gate.refusal(&Target::Prompt {
                    name,
                    plugin: plugin.name(),
                }) {
                    None => return None,
                    Some(scopes) => ("get the prompt", name, scopes),
                }
            }
            _ => return None,
        };
        tracing::warn!(identity = %identity.name, "the policy refused a request to {what} `{name}`");
        Some(self.forbidden(&message.id, identity, what, name, &refusal))
    }

    /// The 403: `WWW-Authenticate: Bearer error="insufficient_scope",
    /// scope="…"` and a JSON-RPC error.
    fn forbidden(
        &self,
        id: &Value,
        identity: &Identity,
        what: &str,
        name: &str,
        scopes: &[String],
    ) -> Response {
        let scope = scopes.join(" ");
        let challenge = match &self.challenge {
            Some(challenge) => challenge.insufficient_scope(&scope),
            None => plain_challenge(&scope),
        };
        let message = format!(
            "forbidden: the policy does not let `{}` {what} `{name}`{}",
            identity.name,
            if scope.is_empty() {
                String::new()
            } else {
                format!("; a token with the scope `{scope}` may")
            }
        );
        let body = json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": FORBIDDEN, "message": message, "data": {"scope": scope}},
        });
        let headers = [
            (header::WWW_AUTHENTICATE, challenge),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ];
        (StatusCode::FORBIDDEN, headers, body.to_string()).into_response()
    }
}

/// `Bearer error="insufficient_scope", scope="…"` (no `scope` when no
/// `@scope` names one). Scopes are checked at load to be RFC 6749 scope
/// tokens, which are valid in a quoted string.
fn plain_challenge(scope: &str) -> HeaderValue {
    let value = if scope.is_empty() {
        r#"Bearer error="insufficient_scope""#.to_owned()
    } else {
        format!(r#"Bearer error="insufficient_scope", scope="{scope}""#)
    };
    HeaderValue::try_from(value)
        .unwrap_or_else(|_| HeaderValue::from_static(r#"Bearer error="insufficient_scope""#))
}

/// The 429: `Retry-After` in whole seconds, rounded up, and a JSON-RPC
/// error naming the limit.
fn too_many(id: &Value, limited: &Limited) -> Response {
    tracing::warn!(identity = %limited.identity, "{limited}");
    let retry = limited.retry_secs().max(1);
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": RATE_LIMITED,
            "message": limited.to_string(),
            "data": {"limit": limited.which.name(), "rate": limited.rate.to_string(), "retryAfter": retry},
        },
    });
    let headers = [
        (header::RETRY_AFTER, HeaderValue::from(retry)),
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
    ];
    (StatusCode::TOO_MANY_REQUESTS, headers, body.to_string()).into_response()
}
