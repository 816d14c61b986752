//! `moat serve --http ADDR`: MCP over Streamable HTTP at `/mcp`.
//!
//! rmcp serves the protocol: sessions for clients of 2025-11-25 and earlier,
//! stateless requests for 2026-07-28 clients, SSE where the spec calls for it.
//! This module adds what a network listener needs around it:
//!
//! - **Loopback by default.** Any other address needs `--token-file`: a
//!   server on the network with no credential would hand every plugin, and
//!   every grant of every plugin, to whoever can reach the port.
//! - **`Host` allow-list** (rmcp checks it): loopback names, plus
//!   `--allow-host`. Stops DNS rebinding, where a web page's own name is
//!   pointed at 127.0.0.1 so that the browser lets the page talk to moat.
//! - **`Origin` allow-list** (rmcp checks it): pages served from loopback,
//!   plus `--allow-origin`. Stops any other web page the user visits from
//!   calling tools through the user's browser. Clients that are not browsers
//!   send no `Origin` and pass.
//! - **Bearer token** (`--token-file`): every request must carry
//!   `Authorization: Bearer TOKEN`, compared in constant time, or it is
//!   answered 401 before it reaches rmcp or any plugin.
//! - **One `Host`**: a request with two is refused (400), since rmcp checks
//!   only the first.
//! - **Limits** ([`limits`]): connections, their header, body and write
//!   deadlines, open streams, and sessions, so that no client can exhaust
//!   the host or hold it.
//!
//! - **Probes** ([`health`]): `/healthz` and `/readyz`, without a
//!   credential, saying nothing about plugins.
//! - **Drain** ([`drain`]): on SIGTERM, answer `/readyz` 503 (and go on
//!   serving for `--drain-delay`), stop accepting, let requests in flight
//!   finish within `--drain-timeout`, end sessions, exit 0.
//!
//! Files: [`listener`] (accept loop, connection cap, header deadline),
//! [`checks`] (the per-request checks), [`sessions`] (capped sessions),
//! [`refusal`] (what a refused client is told), [`streams`] (capped `GET`
//! streams), [`limits`] (every limit's default), [`metrics`] (`/metrics`,
//! here or on a listener of its own).

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::middleware;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::auth::{self, OAuth};
use crate::metrics::{Metrics, Probe};
use crate::plugins::readiness::Readiness;
use crate::protocol::Instrumented;

use self::admission::Admission;
pub use self::args::HttpArgs;
use self::checks::{Guard, Token};
use self::drain::InFlight;
use self::health::Health;
use self::limits::HttpLimits;
use self::metrics::Exposed;
use self::sessions::CappedSessions;
use self::shared::Shared;
use self::shared::store::RedisSessions;

mod admission;
mod args;
mod checks;
pub mod drain;
mod health;
pub mod limits;
mod listener;
pub mod metrics;
mod refusal;
mod sessions;
pub mod shared;
mod streams;

/// The path the MCP endpoint is served at.
pub const PATH: &str = "/mcp";

/// The path the metrics are served at (`--metrics`, `--http-metrics`).
pub const METRICS_PATH: &str = "/metrics";

/// The names a loopback server answers to in `Host`.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The page origins a loopback server accepts: pages served from this
/// machine's loopback, on any port (the MCP Inspector's UI among them).
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// How the HTTP endpoint is exposed.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Where to listen, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub addr: SocketAddr,
    /// `Host` values accepted besides loopback names, e.g. `mcp.example.com`.
    pub allow_hosts: Vec<String>,
    /// Page origins accepted besides loopback, e.g. `https://app.example.com`.
    pub allow_origins: Vec<String>,
    /// A file holding the bearer token every request must carry.
    pub token_file: Option<PathBuf>,
    /// The `--auth` file: be an OAuth resource server.
    pub auth: Option<PathBuf>,
    /// Connections, deadlines and sessions.
    pub limits: HttpLimits,
    /// Also serve the metrics at `/metrics` (`--http-metrics`).
    pub metrics: bool,
    /// With `--redis`: sessions kept where every replica finds them.
    pub shared: Option<Arc<Shared>>,
    /// How long requests in flight may take to finish once stopping.
    pub drain_timeout: Duration,
    /// How long to go on serving, not ready, before the drain begins.
    pub drain_delay: Duration,
}

/// When the server is ready, and when it stops.
pub struct Lifecycle {
    /// What `/readyz` answers from (`None`: ready once serving).
    pub readiness: Option<Readiness>,
    /// Resolves when the server should drain and return (SIGTERM).
    pub stop: Pin<Box<dyn Future<Output = ()> + Send>>,
}

/// The owner the shared bearer token's sessions are counted under.
const TOKEN_OWNER: &str = "token";

/// Listens on `options.addr` and serves `server` until `lifecycle.stop`,
/// then drains ([`drain`]) and returns. With `metrics`, counts open
/// sessions and connections in them, and also serves them at `/metrics` if
/// `options.metrics` asks. Calls `ready` with the address bound, once it
/// accepts connections.
pub async fn serve(
    server: Instrumented,
    options: HttpOptions,
    metrics: Option<Arc<Metrics>>,
    lifecycle: Lifecycle,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let token = options.token_file.as_ref().map(read_token).transpose()?;
    let oauth = match &options.auth {
        Some(path) => Some(OAuth::start(auth::Config::read(path)?)?),
        None => None,
    };
    if !options.addr.ip().is_loopback() && token.is_none() && oauth.is_none() {
        bail!(
            "--http {} is reachable from other machines: give --token-file or --auth so that only clients with a credential can call plugins",
            options.addr
        );
    }
    let metrics_hosts: Arc<[String]> = options.allow_hosts.clone().into();
    let hosts = LOOPBACK_HOSTS.iter().map(|h| h.to_string());
    let origins = LOOPBACK_ORIGINS.iter().map(|o| o.to_string());
    let mut config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts.chain(options.allow_hosts))
        .with_allowed_origins(origins.chain(options.allow_origins));
    // Open streams may hold half the connections; requests keep the rest.
    let max_streams = (options.limits.connections.max_connections / 2).max(1);
    let sessions = Arc::new(CappedSessions::new(
        options.limits.sessions,
        max_streams,
        options.shared.clone(),
    ));
    if let Some(shared) = options.shared {
        config.session_store = Some(Arc::new(RedisSessions::new(shared, sessions.clone())));
    }
    let in_flight = InFlight::default();
    let guard = Guard {
        token,
        challenge: oauth.as_ref().map(|o| o.challenge.clone()),
        oauth: oauth.clone(),
        body_timeout: options.limits.body_timeout,
        max_body: config.max_request_body_bytes,
        admission: Some(Admission {
            access: server.server().access().clone(),
            registry: server.server().registry().clone(),
            challenge: oauth.as_ref().map(|o| o.challenge.clone()),
        }),
        sessions: Some(sessions.clone()),
        in_flight: Some(in_flight.clone()),
    };
    let max_connections = options.limits.connections.max_connections;
    let connections = Arc::new(Semaphore::new(max_connections));
    let mut app = Router::new();
    if let Some(metrics) = &metrics {
        probe_http(metrics, &sessions, &connections)?;
        if options.metrics {
            let open = guard.token.is_none() && guard.oauth.is_none();
            let hosts = open.then_some(metrics_hosts);
            let metrics = metrics.clone();
            app = app.merge(metrics::router(Exposed { metrics, hosts }));
        }
    }
    let streams = server.clone();
    let mcp =
        StreamableHttpService::new(move || Ok(server.new_session()), sessions.clone(), config);
    if let Some(oauth) = &oauth {
        app = app.merge(resource_metadata(&oauth.config));
    }
    let app = app
        .route_service(PATH, mcp)
        .layer(middleware::from_fn_with_state(
            Arc::new(guard),
            checks::guard,
        ));
    let health = Health::new(lifecycle.readiness);
    let app = app.merge(health::router(health.clone()));
    let listener = TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    ready(listener.local_addr()?);
    let (stop, stopping) = watch::channel(false);
    let limits = options.limits.connections;
    // Boxed, so that dropping it below closes the listener.
    let mut accepting = Box::pin(listener::accept_loop(
        listener,
        app,
        limits,
        connections.clone(),
        stopping,
    ));
    tokio::select! {
        () = &mut accepting => unreachable!("the accept loop runs until dropped"),
        () = lifecycle.stop => {}
    }
    health.drain();
    let delay = options.drain_delay;
    if !delay.is_zero() {
        tracing::info!(
            "stopping: /readyz answers 503; still serving for {} (--drain-delay) while load balancers take this replica out",
            humantime::format_duration(delay)
        );
        tokio::select! {
            () = &mut accepting => unreachable!("the accept loop runs until dropped"),
            () = tokio::time::sleep(delay) => {}
        }
    }
    drop(accepting);
    stop.send_replace(true);
    let drained = drain::Drained {
        in_flight,
        sessions,
        connections,
        max_connections,
    };
    drained
        .finish(options.drain_timeout, || streams.server().close_streams())
        .await;
    Ok(())
}

/// The RFC 9728 metadata document, unauthenticated, at the well-known path
/// and its path-suffixed forms.
fn resource_metadata(config: &auth::Config) -> Router {
    let document = auth::metadata::document(config).to_string();
    let mut router = Router::new();
    for path in auth::metadata::paths(config) {
        let document = document.clone();
        let json = [(http::header::CONTENT_TYPE, "application/json")];
        router = router.route(
            &path,
            axum::routing::get(move || async move { (json, document) }),
        );
    }
    router
}

/// Gauges of the open sessions and connections, read when scraped.
fn probe_http(
    metrics: &Metrics,
    sessions: &Arc<CappedSessions>,
    connections: &Arc<Semaphore>,
) -> anyhow::Result<()> {
    let sessions = sessions.clone();
    metrics.probe(Probe::value(
        "moat_http_sessions_open",
        "HTTP sessions held (clients of 2025-11-25 and earlier)",
        move || sessions.open() as i64,
    )?)?;
    let connections = connections.clone();
    let max = connections.available_permits();
    metrics.probe(Probe::value(
        "moat_http_connections_open",
        "HTTP connections open",
        move || max.saturating_sub(connections.available_permits()) as i64,
    )?)?;
    Ok(())
}

/// Reads the token: the file's text without surrounding whitespace.
fn read_token(path: &PathBuf) -> anyhow::Result<Token> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("the token file {} is empty", path.display());
    }
    Ok(Token {
        secret: token.into(),
        owner: TOKEN_OWNER.into(),
    })
}
