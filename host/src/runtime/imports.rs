//! The host functions a plugin imports: `moat:plugin/host` (its log) and
//! `moat:plugin/client` (what it may ask of the client whose request it is
//! handling; see [`ClientLink`] for the rules).

// rmcp marks logging, sampling and roots deprecated (SEP-2577), yet they are
// part of the 2025-11-25 protocol, and logging is opt-in on 2026-07-28.
#![allow(deprecated)]

use rmcp::model::{LoggingLevel, ProgressNotificationParam, ServerRequest};
use serde_json::{Value, json};

use super::bindings::moat::plugin::client::{self, InputRequest, Json};
use super::bindings::moat::plugin::host::{self, Level};
use super::bindings::moat::plugin::{server_types, types};
use super::state::CallState;
use crate::clients::{InputRequired, MissingCapability};

/// The shared types interfaces have no functions.
impl types::Host for CallState {}
impl server_types::Host for CallState {}

impl host::Host for CallState {
    async fn log(&mut self, level: Level, mut message: String) -> wasmtime::Result<()> {
        if message.len() > self.log_message {
            let cut = message.floor_char_boundary(self.log_message);
            message.truncate(cut);
            message.push_str(" [cut]");
        }
        if let Some(redactor) = &self.redactor {
            redactor.redact_string(&mut message);
        }
        let plugin = &*self.plugin;
        match level {
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info | Level::Notice => tracing::info!(plugin, "{message}"),
            Level::Warning => tracing::warn!(plugin, "{message}"),
            Level::Error | Level::Critical | Level::Alert | Level::Emergency => {
                tracing::error!(plugin, "{message}")
            }
        }
        self.client.log(plugin, mcp_level(level), &message).await;
        Ok(())
    }
}

impl client::Host for CallState {
    async fn ask(
        &mut self,
        requests: Vec<InputRequest>,
    ) -> wasmtime::Result<Result<Vec<Json>, String>> {
        let link = self.client();
        let mut questions = Vec::with_capacity(requests.len());
        for request in requests {
            if let Some(capability) = link.missing_capability(&request.method) {
                return Err(wasmtime::Error::new(MissingCapability { capability }));
            }
            let mut params: Value = match serde_json::from_str(&request.params) {
                Ok(params) => params,
                Err(error) => {
                    return Ok(Err(format!(
                        "the params of `{}` are not JSON: {error}",
                        request.key
                    )));
                }
            };
            if let Some(redactor) = &self.redactor {
                redactor.redact_value(&mut params);
            }
            questions.push((request.key, request.method, params));
        }
        if link.stateless {
            let answered: Option<Vec<Json>> = questions
                .iter()
                .map(|(key, _, _)| link.answers.get(key).map(Value::to_string))
                .collect();
            return match answered {
                Some(answers) => Ok(Ok(answers)),
                None => Err(wasmtime::Error::new(InputRequired {
                    questions,
                    answers: link.answers.clone(),
                })),
            };
        }
        let Some(peer) = link.peer.clone() else {
            return Ok(Err("no client is connected to answer".into()));
        };
        let mut answers = Vec::with_capacity(questions.len());
        for (key, method, params) in questions {
            let request: ServerRequest =
                match serde_json::from_value(json!({"method": method, "params": params})) {
                    Ok(request) => request,
                    Err(error) => {
                        return Ok(Err(format!(
                            "`{key}` is not a valid `{method}` request: {error}"
                        )));
                    }
                };
            match peer.send_request(request).await {
                Ok(result) => answers.push(serde_json::to_string(&result)?),
                Err(error) => {
                    return Ok(Err(format!("the client did not answer `{key}`: {error}")));
                }
            }
        }
        Ok(Ok(answers))
    }

    async fn capabilities(&mut self) -> wasmtime::Result<Json> {
        Ok(serde_json::to_string(&self.client().capabilities)?)
    }

    async fn progress(
        &mut self,
        progress: f64,
        total: Option<f64>,
        message: Option<String>,
    ) -> wasmtime::Result<()> {
        let link = self.client();
        if let (Some(peer), Some(token)) = (&link.peer, &link.progress_token) {
            let mut param = ProgressNotificationParam::new(token.clone(), progress);
            if let Some(total) = total {
                param = param.with_total(total);
            }
            if let Some(mut message) = message {
                if let Some(redactor) = &self.redactor {
                    redactor.redact_string(&mut message);
                }
                param = param.with_message(message);
            }
            if let Err(error) = peer.notify_progress(param).await {
                tracing::debug!("a progress report did not reach the client: {error}");
            }
        }
        Ok(())
    }

    async fn resource_updated(&mut self, uri: String) -> wasmtime::Result<()> {
        if let Some(subscriptions) = &self.client().subscriptions {
            subscriptions.resource_updated(uri).await;
        }
        Ok(())
    }
}

/// The WIT level as MCP's.
fn mcp_level(level: Level) -> LoggingLevel {
    match level {
        Level::Debug => LoggingLevel::Debug,
        Level::Info => LoggingLevel::Info,
        Level::Notice => LoggingLevel::Notice,
        Level::Warning => LoggingLevel::Warning,
        Level::Error => LoggingLevel::Error,
        Level::Critical => LoggingLevel::Critical,
        Level::Alert => LoggingLevel::Alert,
        Level::Emergency => LoggingLevel::Emergency,
    }
}
