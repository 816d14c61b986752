//! What the [`Observer`](crate::observe::Observer) is told of each request
//! that reaches a plugin: who made it, and how it ended.

use rmcp::RoleServer;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;

use super::server::{Answer, MoatServer};
use crate::auth::Identity;
use crate::observe::{Call, Caller, InFlight, Method, Outcome};
use crate::plugins::LoadedPlugin;
use crate::runtime::CallError;

impl MoatServer {
    /// Who made the request of `context`, as far as the host knows; empty
    /// when no sink wants it, so that nothing is copied for nothing.
    pub(super) fn caller(&self, context: &RequestContext<RoleServer>) -> Caller {
        if !self.observer.wants().details {
            return Caller::default();
        }
        let session = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.headers.get("mcp-session-id"))
            .and_then(|id| id.to_str().ok())
            .map(Into::into);
        // The request's own `clientInfo` (2026-07-28), else the session's:
        // a stateless peer's `peer_info` is a placeholder naming rmcp.
        let client = context
            .client_info()
            .map(|info| format!("{}/{}", info.name, info.version).into());
        Caller {
            era: context.protocol_version().map(|v| v.as_str().into()),
            session,
            client,
            identity: Some(Identity::of(&context.extensions).name),
        }
    }

    /// Starts observing `method` on `target` of `plugin` with `arguments`.
    pub(super) fn begin(
        &self,
        method: Method,
        plugin: &LoadedPlugin,
        target: &str,
        arguments: &(impl serde::Serialize + ?Sized),
        caller: Caller,
    ) -> Option<InFlight> {
        self.observer.begin(|wants| {
            let plugin = (plugin.shared_name(), plugin.digest().clone());
            Call::new(method, plugin, target, arguments, wants, caller)
        })
    }
}

/// The outcome of a tool call that returned `result`.
pub(super) fn answered(result: &CallToolResult) -> Outcome {
    match result.is_error {
        Some(true) => Outcome::ToolError,
        _ => Outcome::Ok,
    }
}

/// The outcome of a run that failed with `error`.
pub(super) fn failed(error: &CallError) -> Outcome {
    Outcome::Failed {
        limit: error.limit(),
        message: error.to_string(),
    }
}

/// The outcome of a failed run, as [`MoatServer::input_or_error`] decided.
pub(super) fn decided(answer: &Result<Answer, rmcp::ErrorData>) -> Outcome {
    match answer {
        Ok(Answer::Input(_)) => Outcome::InputRequired,
        Ok(Answer::Failed(error)) => failed(error),
        Err(error) => Outcome::Failed {
            limit: None,
            message: error.message.to_string(),
        },
    }
}

/// Ends `in_flight`, if observed, with `outcome`.
pub(super) fn end(in_flight: Option<InFlight>, outcome: impl FnOnce() -> Outcome) {
    if let Some(in_flight) = in_flight {
        in_flight.end(outcome());
    }
}
