//! One request that reaches a plugin, as the sinks see it when it ends.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest as _, Sha256};

use super::{Observer, Wants};

/// The MCP method of a request that reaches a plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `tools/call`.
    CallTool,
    /// `resources/read`.
    ReadResource,
    /// `prompts/get`.
    GetPrompt,
    /// `completion/complete`.
    Complete,
}

impl Method {
    /// The method as MCP names it, e.g. `tools/call`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallTool => "tools/call",
            Self::ReadResource => "resources/read",
            Self::GetPrompt => "prompts/get",
            Self::Complete => "completion/complete",
        }
    }
}

/// Who a request comes from, as far as the host knows.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    /// The protocol version the request was made under, e.g. `2025-11-25`.
    pub era: Option<Arc<str>>,
    /// The HTTP session (`Mcp-Session-Id`), if the request came in one.
    pub session: Option<Arc<str>>,
    /// The client's own name and version, from its `clientInfo`.
    pub client: Option<Arc<str>>,
    /// The authenticated identity, where the transport established one.
    pub identity: Option<Arc<str>>,
}

/// A request that reached a plugin.
#[derive(Debug)]
pub struct Call {
    /// Its method.
    pub method: Method,
    /// The plugin that ran it.
    pub plugin: Arc<str>,
    /// `sha256:HEX` of the plugin's component file.
    pub digest: Arc<str>,
    /// The tool, prompt or resource URI named.
    pub target: String,
    /// `sha256:HEX` of the arguments as JSON text, if a sink wants it.
    pub arguments_digest: Option<String>,
    /// The argument values, only when a sink asked for them.
    pub arguments: Option<serde_json::Value>,
    /// Who asked.
    pub caller: Caller,
    /// When it began.
    pub at: SystemTime,
    /// How long it ran, set when it ends.
    pub took: Duration,
}

impl Call {
    /// A request for `target` of `plugin` (whose component is `digest`),
    /// with `arguments`, hashed and kept as values only as `wants` says.
    pub fn new(
        method: Method,
        (plugin, digest): (Arc<str>, Arc<str>),
        target: &str,
        arguments: &(impl serde::Serialize + ?Sized),
        wants: Wants,
        caller: Caller,
    ) -> Self {
        let text = (wants.details || wants.values)
            .then(|| serde_json::to_vec(arguments).unwrap_or_default());
        let text = text.as_deref().unwrap_or_default();
        Self {
            method,
            plugin,
            digest,
            target: target.to_owned(),
            arguments_digest: wants
                .details
                .then(|| format!("sha256:{:x}", Sha256::digest(text))),
            arguments: wants
                .values
                .then(|| serde_json::from_slice(text).ok())
                .flatten(),
            caller,
            at: SystemTime::now(),
            took: Duration::ZERO,
        }
    }
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin answered.
    Ok,
    /// The plugin answered with a tool error (`isError: true`) of its own.
    ToolError,
    /// The plugin asked the client a question first (an input-required
    /// round of a stateless client).
    InputRequired,
    /// The run failed: stopped by a limit (`limit` names it, e.g.
    /// `timeout`, `memory`), crashed, or returned what the host refuses.
    Failed {
        /// The limit hit, if a limit ended it.
        limit: Option<&'static str>,
        /// The error, as the client was told it.
        message: String,
    },
    /// The client cancelled the request, or went away, before it ended.
    Cancelled,
}

impl Outcome {
    /// A short name for the outcome: `ok`, `tool_error`, `input_required`,
    /// `failed` or `cancelled`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ToolError => "tool_error",
            Self::InputRequired => "input_required",
            Self::Failed { .. } => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A request being observed: reported when it [ends](Self::end), or as
/// [`Outcome::Cancelled`] if dropped first.
pub struct InFlight {
    observer: Observer,
    call: Option<Call>,
    started: Instant,
}

impl InFlight {
    pub(super) fn new(observer: Observer, call: Call) -> Self {
        Self {
            observer,
            call: Some(call),
            started: Instant::now(),
        }
    }

    /// Stops observing without a report: the request turned out not to be
    /// the plugin's (a resource it does not serve).
    pub fn discard(mut self) {
        self.call = None;
    }

    /// Reports the request as ended with `outcome`.
    pub fn end(mut self, outcome: Outcome) {
        self.report(&outcome);
    }

    fn report(&mut self, outcome: &Outcome) {
        if let Some(mut call) = self.call.take() {
            call.took = self.started.elapsed();
            self.observer.ended(&call, outcome);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.report(&Outcome::Cancelled);
    }
}
