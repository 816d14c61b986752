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
//! - **`TCP_NODELAY`** on every connection: rmcp answers in small SSE frames,
//!   which otherwise wait about 40 ms on Nagle's algorithm and the client's
//!   delayed ACK.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use subtle::ConstantTimeEq as _;
use tokio::net::TcpListener;

use crate::protocol::MoatServer;

/// The path the MCP endpoint is served at.
pub const PATH: &str = "/mcp";

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
}

/// The bearer token clients must present.
#[derive(Clone)]
struct Token(Arc<str>);

/// Listens on `options.addr` and serves `server` until the process ends.
/// Calls `ready` with the address bound, once it accepts connections.
pub async fn serve(
    server: MoatServer,
    options: HttpOptions,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let token = options.token_file.as_ref().map(read_token).transpose()?;
    if !options.addr.ip().is_loopback() && token.is_none() {
        bail!(
            "--http {} is reachable from other machines: give --token-file so that only clients with the token can call plugins",
            options.addr
        );
    }
    let hosts = LOOPBACK_HOSTS.iter().map(|h| h.to_string());
    let origins = LOOPBACK_ORIGINS.iter().map(|o| o.to_string());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts.chain(options.allow_hosts))
        .with_allowed_origins(origins.chain(options.allow_origins));
    let mcp = StreamableHttpService::new(
        move || Ok(server.new_session()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let mut app = Router::new().route_service(PATH, mcp);
    if let Some(token) = token {
        app = app.layer(middleware::from_fn_with_state(token, require_token));
    }
    let listener = TcpListener::bind(options.addr)
        .await
        .with_context(|| format!("cannot listen on {}", options.addr))?;
    ready(listener.local_addr()?);
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
    });
    axum::serve(listener, app)
        .await
        .context("the HTTP server failed")
}

/// Reads the token: the file's text without surrounding whitespace.
fn read_token(path: &PathBuf) -> anyhow::Result<Token> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("the token file {} is empty", path.display());
    }
    Ok(Token(token.into()))
}

/// Answers 401 unless the request carries `Authorization: Bearer TOKEN`.
async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if bool::from(presented.as_bytes().ct_eq(token.0.as_bytes())) => {
            next.run(request).await
        }
        _ => {
            let problem = if presented.is_some() {
                "the bearer token is wrong"
            } else {
                "this server requires `Authorization: Bearer TOKEN`"
            };
            tracing::warn!("refused an HTTP request: {problem}");
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
            (StatusCode::UNAUTHORIZED, challenge, problem).into_response()
        }
    }
}
