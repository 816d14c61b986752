//! Prometheus metrics, in the text exposition format, for `/metrics`
//! (`--metrics ADDR`, or `--http-metrics` on the `--http` listener).
//!
//! Built on the `prometheus` crate (tikv's): its counters are atomics and
//! its histograms are lock-free, so recording costs no lock shared by all
//! calls, and it writes the text format (version 0.0.4) Prometheus scrapes.
//! (`prometheus-client`, the other well-kept crate, puts each histogram
//! behind a lock that every call of one tool would take.)
//!
//! What is recorded, and where:
//!
//! - [`methods`]: every MCP request, whatever its method (`initialize`,
//!   `tools/list`, ...), counted and timed where rmcp dispatches it
//!   (`protocol::Instrumented`), with its JSON-RPC errors, and by the
//!   identity it acts for ([`identities`], capped);
//! - [`calls`]: every request that reaches a plugin, from the
//!   [`Observer`](crate::observe::Observer) ([`Sink`](crate::observe::Sink)),
//!   by plugin, tool and outcome, the limits hit, and plugin events;
//! - [`probes`]: what is read when scraped (plugins loaded, instances in
//!   use, open sessions and connections), so that nothing is counted on a
//!   request's path for it.
//!
//! Label values come only from the host's own sets (method names rmcp
//! knows, plugin and tool names the registry serves, limit names), never
//! from a client's text, so that no client can grow the number of series.
//! The names follow the OpenTelemetry semantic conventions for MCP where
//! they name one (`mcp.server.operation.duration`, `mcp.method.name`,
//! `gen_ai.tool.name`; dots become underscores).

pub mod calls;
pub mod identities;
pub mod methods;
pub mod probes;

use std::sync::Arc;

use anyhow::Context as _;
use prometheus::{Encoder as _, Registry, TextEncoder};

pub use self::calls::Calls;
pub use self::methods::Methods;
pub use self::probes::Probe;

/// Histogram buckets, in seconds, for 100 µs to 30 s: a cached pure tool
/// answers in well under a millisecond, a plugin's default timeout is 30 s.
pub const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0, 30.0,
];

/// The `Content-Type` of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every metric the host keeps, in one registry.
pub struct Metrics {
    registry: Registry,
    methods: Arc<Methods>,
    calls: Arc<Calls>,
}

impl Metrics {
    /// Fresh metrics, all zero.
    pub fn new() -> anyhow::Result<Arc<Self>> {
        let registry = Registry::new();
        let methods = Arc::new(Methods::new(&registry).context("method metrics")?);
        let calls = Arc::new(Calls::new(&registry).context("plugin metrics")?);
        Ok(Arc::new(Self {
            registry,
            methods,
            calls,
        }))
    }

    /// The per-method metrics, for the protocol layer.
    pub fn methods(&self) -> Arc<Methods> {
        self.methods.clone()
    }

    /// The sink that counts requests reaching plugins, and plugin events.
    pub fn calls(&self) -> Arc<Calls> {
        self.calls.clone()
    }

    /// Adds `probe`, read each time the metrics are scraped.
    pub fn probe(&self, probe: Probe) -> anyhow::Result<()> {
        self.registry
            .register(Box::new(probe))
            .context("a probe with this name is already registered")
    }

    /// Every metric, in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::warn!("cannot encode the metrics: {error}");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
