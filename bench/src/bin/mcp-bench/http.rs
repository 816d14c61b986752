//! The servers over Streamable HTTP: how each is started, and a check that
//! it answers a stateless `tools/call` of `mul` correctly before wrk
//! measures it.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::Child;

use crate::cpu::cpu_time;
use crate::servers::{Server, Setup};

impl Setup {
    /// Starts `server` serving Streamable HTTP at `addr`, and waits until it
    /// answers a `tools/call` of `mul` with 425.
    pub async fn http(&self, server: Server, addr: SocketAddr) -> anyhow::Result<HttpServer> {
        let mut command = self.command(server)?;
        match server {
            Server::Native => command.arg("http").arg(addr.to_string()),
            Server::Python => command.arg("http").arg(addr.port().to_string()),
            _ => command
                .arg("serve")
                .arg("--plugins")
                .arg(self.plugin_dir(server)?)
                .arg("--cache")
                .arg(self.cache(server))
                .arg("--http")
                .arg(addr.to_string())
                .args(self.extra_args(server)),
        };
        let log = self.log_path(server, "http");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", server.name()))?;
        let running = HttpServer {
            server,
            addr,
            child,
            log,
        };
        running.ready().await?;
        Ok(running)
    }
}

/// A server process serving HTTP; killed when dropped.
pub struct HttpServer {
    /// Which server.
    pub server: Server,
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

/// How long a server may take to start answering (its compile cache is
/// warm: the stdio workloads filled it).
const START_PATIENCE: Duration = Duration::from_secs(120);

impl HttpServer {
    /// The URL of the MCP endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Waits until the server answers [`CALL_BODY`] with 425, or fails with
    /// its log.
    async fn ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            match post(self.addr, CALL_BODY).await {
                Ok((200, body)) if body.contains("425") && !body.contains(r#""isError":true"#) => {
                    return Ok(());
                }
                Ok((status, body)) => bail!(
                    "{} answered the check call with {status}: {body}",
                    self.server.name()
                ),
                Err(_) if started.elapsed() < START_PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => {
                    let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                    bail!(
                        "{} did not answer over HTTP within {START_PATIENCE:?} ({error}); its log:\n{log}",
                        self.server.name()
                    );
                }
            }
        }
    }

    /// The CPU time the server process has used so far ([`cpu_time`]).
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.child.id()?)
    }

    /// Stops the server.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// A free port on loopback, as the kernel picks one.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The body of a stateless (2026-07-28) `tools/call` of `mul` with x = 25,
/// y = 17: the protocol version and client capabilities travel in `_meta`.
pub const CALL_BODY: &str = concat!(
    r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"mul","#,
    r#""arguments":{"x":25,"y":17},"_meta":{"#,
    r#""io.modelcontextprotocol/protocolVersion":"2026-07-28","#,
    r#""io.modelcontextprotocol/clientCapabilities":{}}}}"#,
);

/// The headers of a stateless `tools/call` of `mul`, besides `Host` and
/// `Content-Length`.
pub const CALL_HEADERS: [(&str, &str); 5] = [
    ("Content-Type", "application/json"),
    ("Accept", "application/json, text/event-stream"),
    ("MCP-Protocol-Version", "2026-07-28"),
    ("Mcp-Method", "tools/call"),
    ("Mcp-Name", "mul"),
];

/// POSTs `body` to `/mcp` at `addr` on a connection of its own and returns
/// the status and the raw body (SSE or JSON, chunked or not). Just enough
/// HTTP/1.1 for the check; the measurements use wrk.
async fn post(addr: SocketAddr, body: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!("POST /mcp HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in CALL_HEADERS {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .context("no answer within 10 s")??;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("not an HTTP response: {response:?}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
