//! The client one plugin run answers to: what a plugin may ask of the
//! client whose request it is handling (the `moat:plugin/client` imports,
//! served in `runtime/imports.rs`), and where its log messages go.
//!
//! A plugin reaches only that one client, only while the request lasts, and
//! only for what the client declared it supports: asking for sampling,
//! elicitation or roots without the capability fails the request rather than
//! reach the client. On a 2026-07-28 (stateless) request the host never sends
//! the client a request: the plugin is stopped at its first unanswered
//! question, the client gets "input required", and the retried request runs
//! the plugin again with every answer so far.

// rmcp marks logging, sampling and roots deprecated (SEP-2577), yet they are
// part of the 2025-11-25 protocol, and logging is opt-in on 2026-07-28.
#![allow(deprecated)]

use std::collections::BTreeMap;

use rmcp::RoleServer;
use rmcp::model::{
    ClientCapabilities, LoggingLevel, LoggingMessageNotificationParam, ProgressToken,
};
use rmcp::service::Peer;
use serde_json::Value;

use super::Subscriptions;

/// The client one plugin run answers to.
#[derive(Clone, Default)]
pub struct ClientLink {
    /// The client's end of the session, for notifications and (with a
    /// session) requests; `None` when no client is connected (loading a
    /// plugin, `moat call`).
    pub peer: Option<Peer<RoleServer>>,
    /// A 2026-07-28 request: input is gathered by "input required" results,
    /// never by requests to the client.
    pub stateless: bool,
    /// What the client declared it supports.
    pub capabilities: ClientCapabilities,
    /// Where progress goes, if the client asked for it.
    pub progress_token: Option<ProgressToken>,
    /// The least severe log level the client wants; `None`: no log messages.
    pub log_level: Option<LoggingLevel>,
    /// Answers the client has already given, by question key (stateless).
    pub answers: BTreeMap<String, Value>,
    /// Who to tell when a resource changes.
    pub subscriptions: Option<Subscriptions>,
}

/// The plugin asked questions the stateless client has not answered yet:
/// stops the run, and becomes an "input required" result.
#[derive(Debug, thiserror::Error)]
#[error("the plugin needs the client's input")]
pub struct InputRequired {
    /// Every question of the unanswered `ask`, as `(key, method, params)`.
    pub questions: Vec<(String, String, Value)>,
    /// The answers so far, to carry into the retry.
    pub answers: BTreeMap<String, Value>,
}

/// The plugin asked for something the client did not declare.
#[derive(Debug, thiserror::Error)]
#[error("the client does not support `{capability}`: it did not declare that capability")]
pub struct MissingCapability {
    /// The capability's name, e.g. `sampling`.
    pub capability: &'static str,
}

impl ClientLink {
    /// The capability `method` needs, if the client lacks it.
    pub fn missing_capability(&self, method: &str) -> Option<&'static str> {
        let caps = &self.capabilities;
        let (name, declared) = match method {
            "sampling/createMessage" => ("sampling", caps.sampling.is_some()),
            "elicitation/create" => ("elicitation", caps.elicitation.is_some()),
            "roots/list" => ("roots", caps.roots.is_some()),
            _ => return None,
        };
        (!declared).then_some(name)
    }

    /// Sends `message` to the client as `notifications/message` if it asked
    /// for messages at `level` or above.
    pub async fn log(&self, plugin: &str, level: LoggingLevel, message: &str) {
        let (Some(peer), Some(threshold)) = (&self.peer, self.log_level) else {
            return;
        };
        if severity(level) < severity(threshold) {
            return;
        }
        let param = LoggingMessageNotificationParam::new(level, Value::String(message.into()))
            .with_logger(plugin);
        if let Err(error) = peer.notify_logging_message(param).await {
            tracing::debug!("a log message did not reach the client: {error}");
        }
    }
}

/// Syslog order: debug is the least severe.
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}
