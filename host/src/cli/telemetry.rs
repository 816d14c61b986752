//! The flags of `moat serve` for metrics and traces, and what they set up:
//! the Prometheus metrics (`--metrics`, `--http-metrics`) and the OTLP
//! span exporter (`--otlp`), with the log subscriber they share.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer as _, fmt};

use super::log_redaction::Redacting;
use crate::metrics::{Metrics, Probe};
use crate::observe::trace::{self, TARGET};
use crate::plugins::LiveRegistry;

/// The address `--metrics` listens on when given without one: the port
/// OpenTelemetry's Prometheus exporters use, on loopback.
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";

/// How long the exporter may take, at exit, to send the spans it holds.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Metrics and traces.
#[derive(Args, Clone, Debug, Default)]
pub struct TelemetryArgs {
    /// Serve Prometheus metrics at http://ADDR/metrics, on a listener of
    /// their own (a stdio host too) [ADDR default: 127.0.0.1:9464; port 0
    /// picks a free one]. Off by default: nothing is counted.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = DEFAULT_METRICS_ADDR)]
    pub metrics: Option<SocketAddr>,
    /// Require `Authorization: Bearer TOKEN` of `--metrics` scrapers, TOKEN
    /// being this file's contents. Required to listen on a non-loopback
    /// address.
    #[arg(long, value_name = "FILE", requires = "metrics")]
    pub metrics_token_file: Option<PathBuf>,
    /// Also serve the metrics at /metrics on the `--http` listener, behind
    /// its bearer token and checks.
    #[arg(long, requires = "http")]
    pub http_metrics: bool,
    /// Export a span per request (transport, MCP method, plugin run) over
    /// OTLP/HTTP (protobuf) to ENDPOINT, e.g. `http://127.0.0.1:4318`
    /// (spans go to ENDPOINT/v1/traces; a URL with a path is used as it
    /// is). Off by default: no span is made.
    #[arg(long, value_name = "ENDPOINT", value_parser = otlp_endpoint)]
    pub otlp: Option<String>,
}

/// `text` as an OTLP/HTTP traces URL: `http(s)://HOST:PORT` gets
/// `/v1/traces`.
fn otlp_endpoint(text: &str) -> Result<String, String> {
    let uri: http::Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("must start with http:// or https://".into()),
    }
    if uri.authority().is_none() {
        return Err("names no host".into());
    }
    Ok(match uri.path() {
        "" | "/" => format!("{}/v1/traces", text.trim_end_matches('/')),
        _ => text.to_owned(),
    })
}

impl TelemetryArgs {
    /// Fresh metrics if any flag exposes them, else `None`.
    pub fn metrics(&self) -> anyhow::Result<Option<Arc<Metrics>>> {
        (self.metrics.is_some() || self.http_metrics)
            .then(Metrics::new)
            .transpose()
    }

    /// Starts the `--metrics` listener, if asked, serving `metrics`.
    pub async fn serve_metrics(&self, metrics: &Option<Arc<Metrics>>) -> anyhow::Result<()> {
        let (Some(addr), Some(metrics)) = (self.metrics, metrics) else {
            return Ok(());
        };
        let (bound, ready) = tokio::sync::oneshot::channel();
        let token_file = self.metrics_token_file.clone();
        let metrics = metrics.clone();
        let task = tokio::spawn(async move {
            let ready = |addr| {
                let _ = bound.send(addr);
            };
            crate::transport::http::metrics::serve(addr, token_file.as_ref(), metrics, ready).await
        });
        match ready.await {
            Ok(addr) => {
                tracing::info!("serving metrics at http://{addr}/metrics");
                Ok(())
            }
            Err(_) => Err(task.await.context("the --metrics listener")?.unwrap_err()),
        }
    }
}

/// Gauges read from `registry` when scraped: plugins loaded, tools served,
/// and each plugin's runs in progress.
pub fn probe_registry(metrics: &Metrics, registry: &LiveRegistry) -> anyhow::Result<()> {
    let live = registry.clone();
    metrics.probe(Probe::value(
        "moat_plugins_loaded",
        "Plugins served",
        move || live.current().plugins().len() as i64,
    )?)?;
    let live = registry.clone();
    metrics.probe(Probe::value(
        "moat_tools_served",
        "Tools served",
        move || live.current().tools().len() as i64,
    )?)?;
    let live = registry.clone();
    metrics.probe(Probe::labelled(
        "moat_instances_in_use",
        "Concurrency slots taken (runs in progress), by plugin",
        &["plugin"],
        move || {
            let registry = live.current();
            let in_use = registry.instances_in_use();
            in_use
                .map(|(plugin, n)| (vec![plugin.to_owned()], n as i64))
                .collect()
        },
    )?)?;
    Ok(())
}

/// What must live until exit, and be flushed then.
pub struct Tracing {
    _logs: WorkerGuard,
    spans: Option<SdkTracerProvider>,
}

impl Tracing {
    /// Sends the spans not yet exported (at most [`FLUSH_TIMEOUT`]).
    pub fn shutdown(self) {
        if let Some(provider) = self.spans
            && let Err(error) = provider.shutdown_with_timeout(FLUSH_TIMEOUT)
        {
            tracing::warn!("could not send every span to the OTLP endpoint: {error}");
        }
    }
}

/// Sets up logging to stderr and, with `otlp`, the span exporter.
///
/// Logs go to stderr, granted secrets redacted (see `log_redaction.rs`),
/// through a background writer that drops lines rather
/// than block when stderr is a pipe nobody reads; the guard flushes at
/// exit. The exporter sends only moat's own spans ([`TARGET`]), never log
/// events, in batches from a thread of its own.
pub fn init(otlp: Option<&str>) -> Tracing {
    let (stderr, logs) = tracing_appender::non_blocking(std::io::stderr());
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn,notify=warn"))
        // The spans are for the exporter; log lines stay as they were.
        .add_directive("moat::trace=off".parse().expect("a valid directive"));
    let logger = fmt::layer()
        .with_writer(Redacting(stderr))
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(filter);
    let provider = otlp.map(exporter).transpose();
    let (provider, failed) = match provider {
        Ok(provider) => (provider, None),
        Err(error) => (None, Some(error)),
    };
    let spans = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("moat"))
            .with_filter(filter_fn(|meta| meta.target() == TARGET))
    });
    // Without an exporter, no span layer at all rather than `None`: an
    // absent layer counts as one that wants every span, so the registry
    // would make the spans of rmcp's that the log filter leaves out, and
    // enter and leave them at every poll of a request's tasks.
    let registry = tracing_subscriber::registry().with(logger);
    match spans {
        Some(spans) => registry.with(spans).init(),
        None => registry.init(),
    }
    if let Some(error) = failed {
        tracing::error!("--otlp: {error:#}; serving without traces");
    } else if let Some(endpoint) = otlp {
        trace::enable();
        tracing::info!("exporting spans over OTLP/HTTP to {endpoint}");
    }
    Tracing {
        _logs: logs,
        spans: provider,
    }
}

/// The tracer provider exporting to `endpoint`.
fn exporter(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .context("cannot build the OTLP exporter")?;
    let resource = Resource::builder()
        .with_service_name("moat")
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

#[cfg(test)]
mod tests {
    use super::otlp_endpoint;

    #[test]
    fn an_endpoint_without_a_path_gets_the_traces_path() {
        let url = |text| otlp_endpoint(text).unwrap();
        assert_eq!(
            url("http://127.0.0.1:4318"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            url("http://collector/otlp/traces"),
            "http://collector/otlp/traces"
        );
        assert!(otlp_endpoint("127.0.0.1:4318").is_err());
        assert!(otlp_endpoint("ftp://host").is_err());
    }
}
