//! Every MCP request and notification, by method: counted, timed, and its
//! JSON-RPC errors counted, where rmcp dispatches it.
//!
//! Each method rmcp knows gets its counters and histogram once, when the
//! metrics are made; a request looks its method up in a map that never
//! changes afterwards (no lock) and adds to atomics. A method rmcp does not
//! know (a custom request, whatever a client sent) is counted as `other`,
//! so that no client can add series.

use std::collections::HashMap;
use std::time::Duration;

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
};

use super::BUCKETS;
use super::identities::Identities;

/// The methods a client may send: requests, then notifications.
const METHODS: [&str; 26] = [
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "resources/directory/read",
    "subscriptions/listen",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "tasks/get",
    "tasks/update",
    "tasks/cancel",
    "skills/list",
    "skills/get",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "notifications/roots/list_changed",
    "notifications/elicitation/response",
];

/// The label of a method the host does not know.
pub const OTHER: &str = "other";

/// One method's metrics.
struct Method {
    requests: IntCounter,
    duration: Histogram,
}

/// The metrics of every method.
pub struct Methods {
    known: HashMap<&'static str, Method>,
    other: Method,
    errors: IntCounterVec,
    identities: Identities,
}

impl Methods {
    /// The method metrics, registered in `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new(
                "moat_requests_total",
                "MCP requests and notifications received, by method",
            ),
            &["mcp_method_name"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "mcp_server_operation_duration_seconds",
                "How long the host took to answer an MCP request, by method (OpenTelemetry's mcp.server.operation.duration)",
            )
            .buckets(BUCKETS.to_vec()),
            &["mcp_method_name"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new(
                "moat_request_errors_total",
                "MCP requests answered with a JSON-RPC error, by method and error code",
            ),
            &["mcp_method_name", "rpc_response_status_code"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        let method = |name: &str| Method {
            requests: requests.with_label_values(&[name]),
            duration: duration.with_label_values(&[name]),
        };
        Ok(Self {
            known: METHODS.iter().map(|name| (*name, method(name))).collect(),
            other: method(OTHER),
            errors,
            identities: Identities::new(registry)?,
        })
    }

    /// The name `method` is counted under: itself if the host knows it,
    /// otherwise [`OTHER`].
    pub fn label(&self, method: Option<&str>) -> &'static str {
        method
            .and_then(|method| self.known.get_key_value(method))
            .map_or(OTHER, |(name, _)| name)
    }

    fn method(&self, label: &str) -> &Method {
        self.known.get(label).unwrap_or(&self.other)
    }

    /// Counts a request or notification of `method` (a [`Self::label`]).
    pub fn received(&self, method: &str) {
        self.method(method).requests.inc();
    }

    /// Counts a request made on behalf of `identity` (its name).
    pub fn acted_for(&self, identity: &str) {
        self.identities.received(identity);
    }

    /// Records that a request of `method` was answered after `took`, with
    /// the JSON-RPC error `code` if it failed.
    pub fn answered(&self, method: &'static str, took: Duration, code: Option<i32>) {
        self.method(method).duration.observe(took.as_secs_f64());
        if let Some(code) = code {
            // Errors are the uncommon path: the family's lookup is fine here.
            // Codes are the host's own (rmcp's and moat's), a small set.
            let code = code.to_string();
            self.errors.with_label_values(&[method, &code]).inc();
        }
    }
}
