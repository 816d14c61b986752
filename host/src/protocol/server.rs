//! The MCP server: one per session, over the live registry. rmcp handles
//! the protocol and calls the [`ServerHandler`] in `handler.rs`, which
//! routes each request here.

// rmcp marks logging deprecated (SEP-2577), yet it is part of the 2025-11-25
// protocol and opt-in on 2026-07-28.
#![allow(deprecated)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::model::{CallToolResponse, ErrorCode, JsonObject, ServerCapabilities};
use rmcp::service::{Peer, RequestContext};
use rmcp::{ErrorData, RoleServer};
use serde_json::json;

use super::input::{Answers, Retry, binding};
use super::observing::{self, answered, decided};
use crate::access::Access;
use crate::clients::{ClientLink, Subscriptions};
use crate::observe::{Caller, Method, Observer};
use crate::plugins::LiveRegistry;
use crate::plugins::convert::tool_result;
use crate::runtime::CallError;

/// Serves the plugins of a [`LiveRegistry`] to one or many MCP clients.
#[derive(Clone)]
pub struct MoatServer {
    pub(super) registry: LiveRegistry,
    /// Whether the lists can change while serving (`--watch`).
    pub(super) list_changes: bool,
    /// Connected clients, told when the lists change.
    pub(super) peers: Arc<Mutex<Vec<Peer<RoleServer>>>>,
    /// Who wants to hear that a resource changed.
    pub(super) subscriptions: Subscriptions,
    /// Seals the answers a stateless client must carry between rounds.
    pub(super) retry: Retry,
    /// This session's own state (each HTTP session has its own).
    pub(super) session: Arc<Session>,
    /// Told of every request that reaches a plugin.
    pub(super) observer: Observer,
    /// Who may use what (`--policy`), and how often (the rate limits).
    pub(super) access: Access,
}

/// What one session has said about itself.
#[derive(Default)]
pub(super) struct Session {
    pub(super) id: u64,
    /// The level `logging/setLevel` asked for; `None`: no log messages.
    pub(super) log_level: Mutex<Option<rmcp::model::LoggingLevel>>,
}

/// Numbers sessions, to tell their subscriptions apart.
static SESSIONS: AtomicU64 = AtomicU64::new(1);

impl MoatServer {
    /// A server for `registry`. With
    /// `list_changes`, it advertises `listChanged` and [`Self::tools_changed`]
    /// notifies its clients.
    pub fn new(registry: LiveRegistry, list_changes: bool) -> Self {
        Self {
            registry,
            list_changes,
            peers: Arc::default(),
            subscriptions: Subscriptions::default(),
            retry: Retry::random(),
            session: Arc::default(),
            observer: Observer::default(),
            access: Access::default(),
        }
    }

    /// The same server, deciding who may use what by `access`.
    pub fn with_access(self, access: Access) -> Self {
        Self { access, ..self }
    }

    /// The same server, sealing `requestState` under `retry`'s key (one
    /// shared by replicas: `--state-key-file`).
    pub fn with_retry(self, retry: Retry) -> Self {
        Self { retry, ..self }
    }

    /// Ends every `subscriptions/listen` stream: the host is stopping.
    pub fn close_streams(&self) {
        self.subscriptions.close_streams();
    }

    /// The registry served.
    pub fn registry(&self) -> &LiveRegistry {
        &self.registry
    }

    /// The policy and rate limits in force.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The same server, telling `observer` of every request that reaches a
    /// plugin.
    pub fn with_observer(self, observer: Observer) -> Self {
        Self { observer, ..self }
    }

    /// The same server for a new session, with state of its own.
    pub fn new_session(&self) -> Self {
        let session = Session {
            id: SESSIONS.fetch_add(1, Ordering::Relaxed),
            log_level: Mutex::default(),
        };
        Self {
            session: Arc::new(session),
            ..self.clone()
        }
    }

    /// Runs one tool call for `client` (who is `caller`). An unknown tool is
    /// a protocol error; everything that goes wrong inside the plugin is a
    /// tool result with `isError`.
    pub async fn call(
        &self,
        name: &str,
        arguments: Option<&JsonObject>,
        client: ClientLink,
        caller: Caller,
    ) -> Result<CallToolResponse, ErrorData> {
        let registry = self.registry.current();
        let plugin = registry
            .route(name)
            .ok_or_else(|| ErrorData::invalid_params(format!("Unknown tool: {name}"), None))?;
        let none = JsonObject::new();
        let arguments = arguments.unwrap_or(&none);
        let in_flight = self.begin(Method::CallTool, plugin, name, arguments, caller);
        let stateless = client.stateless;
        let request = || binding("tools/call", name, &arguments);
        match plugin.call(client, name, arguments).await {
            Ok(result) => {
                observing::end(in_flight, || answered(&result));
                Ok(result.into())
            }
            Err(error) => {
                let answer = self.input_or_error(error, stateless, request);
                observing::end(in_flight, || decided(&answer));
                match answer? {
                    Answer::Input(input) => Ok(input.into()),
                    Answer::Failed(error) => {
                        tracing::warn!(tool = name, "{error}");
                        Ok(tool_result::error(error.to_string()).into())
                    }
                }
            }
        }
    }

    /// Sends `notifications/tools/list_changed` (and the resource and
    /// prompt ones) to every connected client and listen stream, forgetting
    /// clients that have gone.
    pub async fn tools_changed(&self) {
        self.subscriptions.lists_changed();
        let peers = {
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.retain(|peer| !peer.is_transport_closed());
            peers.clone()
        };
        for peer in peers {
            let sent = async {
                peer.notify_tool_list_changed().await?;
                peer.notify_resource_list_changed().await?;
                peer.notify_prompt_list_changed().await
            };
            if let Err(error) = sent.await {
                tracing::debug!("a client missed a list change: {error}");
            }
        }
    }

    /// Who `context`'s request comes from, and what the plugin may send it.
    pub(super) fn link(
        &self,
        context: &RequestContext<RoleServer>,
        retry: Option<Answers>,
    ) -> Result<ClientLink, ErrorData> {
        let stateless = context
            .protocol_version()
            .is_some_and(|version| !version.has_initialize());
        let log_level = if stateless {
            context.meta.log_level()
        } else {
            *self
                .session
                .log_level
                .lock()
                .unwrap_or_else(|p| p.into_inner())
        };
        Ok(ClientLink {
            peer: Some(context.peer.clone()),
            stateless,
            capabilities: context.client_capabilities().unwrap_or_default(),
            progress_token: context.meta.get_progress_token(),
            log_level,
            answers: retry.map(|answers| answers.0).unwrap_or_default(),
            subscriptions: Some(self.subscriptions.clone()),
        })
    }

    /// What a failed run becomes: "input required" for a stateless client
    /// the plugin has questions for, a protocol error for a capability the
    /// client lacks on a stateless request, otherwise the failure itself.
    pub(super) fn input_or_error(
        &self,
        error: CallError,
        stateless: bool,
        request: impl FnOnce() -> Vec<u8>,
    ) -> Result<Answer, ErrorData> {
        match error {
            CallError::InputRequired { input, .. } => {
                Ok(Answer::Input(self.retry.ask(input, request)?))
            }
            CallError::MissingCapability { capability, .. } if stateless => Err(ErrorData::new(
                ErrorCode(-32021),
                format!(
                    "this request needs the client's `{capability}` capability, which it did not declare"
                ),
                Some(json!({"requiredCapabilities": {capability: {}}})),
            )),
            error => Ok(Answer::Failed(error)),
        }
    }

    pub(super) fn capabilities(&self) -> ServerCapabilities {
        let serves = self.registry.current().serves();
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .build();
        let maybe = |served: bool| served || self.list_changes;
        if maybe(serves.resources) {
            let mut resources = rmcp::model::ResourcesCapability::default();
            resources.subscribe = Some(true);
            resources.list_changed = self.list_changes.then_some(true);
            capabilities.resources = Some(resources);
        }
        if maybe(serves.prompts) {
            let mut prompts = rmcp::model::PromptsCapability::default();
            prompts.list_changed = self.list_changes.then_some(true);
            capabilities.prompts = Some(prompts);
        }
        if maybe(serves.completion) {
            capabilities.completions = Some(JsonObject::new());
        }
        if let Some(tools) = &mut capabilities.tools {
            tools.list_changed = self.list_changes.then_some(true);
        }
        capabilities
    }
}

/// How a run that did not complete is answered.
pub(super) enum Answer {
    /// The client must answer the plugin's questions and retry.
    Input(rmcp::model::InputRequiredResult),
    /// The run failed.
    Failed(CallError),
}
