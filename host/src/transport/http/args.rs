//! The flags of `moat serve` that choose and shape the HTTP transport.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use clap::builder::TypedValueParser as _;

use super::HttpOptions;
use super::limits::{self, ConnectionLimits, HttpLimits, SessionCaps};
use super::shared::{self, Shared, SharedOptions};

/// Streamable HTTP instead of stdio.
#[derive(Args)]
pub struct HttpArgs {
    /// Serve MCP over Streamable HTTP at http://ADDR/mcp instead of stdio
    /// [ADDR default: 127.0.0.1:8080; port 0 picks a free one].
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8080")]
    pub http: Option<SocketAddr>,
    /// Also accept requests whose `Host` is HOST (repeatable); loopback names
    /// are always accepted. Needed when clients reach moat by another name.
    #[arg(long = "allow-host", value_name = "HOST", requires = "http")]
    pub allow_hosts: Vec<String>,
    /// Also accept browser requests from the page origin ORIGIN, e.g.
    /// `https://app.example.com` (repeatable); loopback pages are always
    /// accepted, and clients that are not browsers send no origin.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    pub allow_origins: Vec<String>,
    /// Require `Authorization: Bearer TOKEN` on every request, TOKEN being
    /// this file's contents. Required to listen on a non-loopback address.
    #[arg(long, value_name = "FILE", requires = "http")]
    pub token_file: Option<PathBuf>,
    /// Be an OAuth 2.1 resource server (the MCP authorization spec):
    /// every request must carry an access token from an authorization
    /// server FILE trusts (TOML; see docs/operators.md, "Authorization").
    /// Allows a non-loopback address.
    #[arg(
        long,
        value_name = "FILE",
        requires = "http",
        conflicts_with = "token_file"
    )]
    pub auth: Option<PathBuf>,
    /// Keep at most N connections open; more wait in the listen backlog
    /// until one closes. Stops a client opening connections until moat
    /// runs out of file descriptors; keep it below `ulimit -n`.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "http")]
    pub max_connections: usize,
    /// Close a connection that takes longer than this to send a request's
    /// headers, counted from its connecting or its previous response (so an
    /// idle keep-alive connection is closed too). Stops slowloris clients
    /// holding connection slots.
    #[arg(long, value_name = "DURATION", default_value_t = limits::DEFAULT_HEADER_TIMEOUT.into(),
        value_parser = positive_duration, requires = "http")]
    pub http_header_timeout: humantime::Duration,
    /// Answer 408 and close the connection when a request's body takes
    /// longer than this after its headers. Stops bodies sent a byte at a
    /// time, or stopped half-way, from holding a connection.
    #[arg(long, value_name = "DURATION", default_value_t = limits::DEFAULT_BODY_TIMEOUT.into(),
        value_parser = positive_duration, requires = "http")]
    pub http_body_timeout: humantime::Duration,
    /// Close a connection when a write of a response makes no progress for
    /// this long. Stops clients that never read their responses from
    /// holding connections.
    #[arg(long, value_name = "DURATION", default_value_t = limits::DEFAULT_WRITE_TIMEOUT.into(),
        value_parser = positive_duration, requires = "http")]
    pub http_write_timeout: humantime::Duration,
    /// Hold at most N sessions (clients of 2025-11-25 and earlier); a new
    /// one is refused with 503 until one ends. Stops `initialize` floods
    /// growing moat without bound. Stateless requests need no session.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_SESSIONS,
        value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "http")]
    pub max_sessions: usize,
    /// Hold at most N sessions per bearer token (with --token-file); a new
    /// one is refused with 429. Stops one token's holder taking them all.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_SESSIONS_PER_TOKEN,
        value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "http")]
    pub max_sessions_per_token: usize,
    /// End a session after this long without a request or a message; its
    /// client gets 404 and starts a new one. Frees abandoned sessions.
    #[arg(long, value_name = "DURATION", default_value_t = limits::DEFAULT_SESSION_IDLE_TIMEOUT.into(),
        value_parser = positive_duration, requires = "http")]
    pub session_idle_timeout: humantime::Duration,
    /// Keep sessions in the Redis at URL (`redis://HOST:PORT/DB`) and hear
    /// the other replicas' changes there, so that replicas behind a load
    /// balancer serve each other's sessions. Without it, state is this
    /// process's own. TLS (`rediss://`) is not built in.
    #[arg(long, value_name = "URL", requires = "http")]
    pub redis: Option<String>,
    /// Put PREFIX before every Redis key and the channel's name: replicas
    /// of one deployment share it; two deployments on one Redis need two,
    /// or they would serve each other's sessions.
    #[arg(long, value_name = "PREFIX", default_value = shared::DEFAULT_PREFIX, requires = "redis")]
    pub redis_prefix: String,
    /// Give up on a Redis operation after this long: a session then gets
    /// 503 naming Redis. Stops a Redis that is down or slow from holding
    /// requests (and their connections) without end.
    #[arg(long, value_name = "DURATION", default_value_t = shared::DEFAULT_TIMEOUT.into(),
        value_parser = positive_duration, requires = "redis")]
    pub redis_timeout: humantime::Duration,
    /// On SIGTERM or SIGINT, stop accepting and give the requests in flight
    /// this long to finish before sessions end and moat exits (0). A
    /// request still running then is cut off.
    #[arg(long, value_name = "DURATION", default_value_t = super::drain::DEFAULT_DRAIN_TIMEOUT.into(),
        requires = "http")]
    pub drain_timeout: humantime::Duration,
    /// On SIGTERM or SIGINT, first answer `/readyz` with 503 and go on
    /// serving for this long, so that a load balancer or Kubernetes (whose
    /// endpoint removal trails the signal) takes this replica out before it
    /// stops accepting; requests sent meanwhile are served, not lost. `0s`
    /// drains at once. Set it to the balancer's health-check interval times
    /// its failure count, plus a margin.
    #[arg(long, value_name = "DURATION", default_value = "0s", requires = "http")]
    pub drain_delay: humantime::Duration,
    /// Seal `requestState` (the answers a 2026-07-28 client carries between
    /// rounds of a question) with the key in FILE, at least 32 bytes, the
    /// same for every replica, so that any replica can take the next round.
    /// Without it, a random key per process. Whoever reads the file can
    /// forge answers: keep it as secret as a token.
    #[arg(long, value_name = "FILE", requires = "http")]
    pub state_key_file: Option<PathBuf>,
}

/// A duration such as `10s` or `2m`, more than zero.
fn positive_duration(text: &str) -> Result<humantime::Duration, String> {
    match text.parse::<humantime::Duration>() {
        Ok(duration) if duration.is_zero() => Err("must be more than zero".into()),
        Ok(duration) => Ok(duration),
        Err(error) => Err(error.to_string()),
    }
}

impl HttpArgs {
    /// The link to Redis `--redis` asked for, or `None`.
    pub fn shared(&self) -> anyhow::Result<Option<Arc<Shared>>> {
        let Some(url) = &self.redis else {
            return Ok(None);
        };
        Shared::open(SharedOptions {
            url: url.clone(),
            prefix: self.redis_prefix.clone(),
            timeout: self.redis_timeout.into(),
            ttl: self.session_idle_timeout.into(),
        })
        .map(Some)
    }

    /// The options `--http` asked for, or `None` for stdio.
    pub fn options(self) -> Option<HttpOptions> {
        Some(HttpOptions {
            addr: self.http?,
            allow_hosts: self.allow_hosts,
            allow_origins: self.allow_origins,
            token_file: self.token_file,
            auth: self.auth,
            metrics: false,
            shared: None,
            drain_timeout: self.drain_timeout.into(),
            drain_delay: self.drain_delay.into(),
            limits: HttpLimits {
                connections: ConnectionLimits {
                    max_connections: self.max_connections,
                    header_timeout: self.http_header_timeout.into(),
                    write_timeout: self.http_write_timeout.into(),
                },
                body_timeout: self.http_body_timeout.into(),
                sessions: SessionCaps {
                    max_sessions: self.max_sessions,
                    max_per_token: self.max_sessions_per_token,
                    idle_timeout: self.session_idle_timeout.into(),
                },
            },
        })
    }
}
