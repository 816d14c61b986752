//! `GET /metrics`: the Prometheus text of [`Metrics`], on the `--http`
//! listener (`--http-metrics`, behind the same bearer token and checks as
//! `/mcp`) or on a listener of its own (`--metrics ADDR`, for a stdio host
//! too).
//!
//! The metrics name the plugins and tools served and how busy the host is,
//! so a listener of its own follows `--http`'s rule: loopback by default,
//! and any other address only with a bearer token
//! (`--metrics-token-file`). Without a token, a request whose `Host` is not
//! a loopback name (or an `--allow-host` one) is refused (403), so that a
//! web page cannot read the metrics through DNS rebinding.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::checks::{self, Guard};
use super::limits::{self, ConnectionLimits};
use super::listener::accept_loop;
use super::{LOOPBACK_HOSTS, METRICS_PATH as PATH, read_token};
use crate::metrics::{CONTENT_TYPE, Metrics};

/// Connections a `--metrics` listener keeps open at once: a scraper needs
/// one; the cap stops anyone else from holding descriptors.
pub const MAX_CONNECTIONS: usize = 16;

/// What `/metrics` answers with, and which `Host` values it accepts.
#[derive(Clone)]
pub struct Exposed {
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// The `Host` names accepted, besides loopback ones; `None`: any (the
    /// bearer token guards the endpoint).
    pub hosts: Option<Arc<[String]>>,
}

/// The route answering `GET /metrics` with `exposed`.
pub fn router(exposed: Exposed) -> Router {
    Router::new().route(PATH, get(render).with_state(exposed))
}

async fn render(State(exposed): State<Exposed>, request: Request) -> Response {
    if let Some(hosts) = &exposed.hosts {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .map(host_name);
        let allowed = host.is_some_and(|host| {
            LOOPBACK_HOSTS.contains(&host) || hosts.iter().any(|allowed| allowed == host)
        });
        if !allowed {
            tracing::warn!("refused a /metrics request for another Host");
            return (StatusCode::FORBIDDEN, "Forbidden: Host is not allowed").into_response();
        }
    }
    let headers = [(header::CONTENT_TYPE, CONTENT_TYPE)];
    (headers, exposed.metrics.render()).into_response()
}

/// The name in a `Host` value, without its port (`[::1]:80` is `::1`).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// Serves `metrics` at `http://ADDR/metrics`, with `token_file`'s token
/// required if given (and required for a non-loopback address), until the
/// process ends. Calls `ready` with the address bound.
pub async fn serve(
    addr: SocketAddr,
    token_file: Option<&std::path::PathBuf>,
    metrics: Arc<Metrics>,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let token = token_file.map(read_token).transpose()?;
    if !addr.ip().is_loopback() && token.is_none() {
        bail!(
            "--metrics {addr} is reachable from other machines: give --metrics-token-file so that only scrapers with the token can read the metrics"
        );
    }
    let hosts = token.is_none().then(|| Arc::from(Vec::new()));
    let guard = Guard {
        token,
        oauth: None,
        challenge: None,
        body_timeout: limits::DEFAULT_BODY_TIMEOUT,
        max_body: 0,
        admission: None,
        sessions: None,
        in_flight: None,
    };
    let app = router(Exposed { metrics, hosts }).layer(middleware::from_fn_with_state(
        Arc::new(guard),
        checks::guard,
    ));
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for --metrics"))?;
    ready(listener.local_addr()?);
    let limits = ConnectionLimits {
        max_connections: MAX_CONNECTIONS,
        header_timeout: limits::DEFAULT_HEADER_TIMEOUT,
        write_timeout: limits::DEFAULT_WRITE_TIMEOUT,
    };
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Never stopped: the metrics are served until the process ends.
    let (_never, stop) = tokio::sync::watch::channel(false);
    accept_loop(listener, app, limits, slots, stop).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn host_name_drops_the_port() {
        assert_eq!(host_name("127.0.0.1:9464"), "127.0.0.1");
        assert_eq!(host_name("localhost"), "localhost");
        assert_eq!(host_name("[::1]:80"), "::1");
        assert_eq!(host_name("evil.example:80"), "evil.example");
    }
}
