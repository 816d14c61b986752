//! The servers over Streamable HTTP: how each is started, and a check that
//! it answers a stateless `tools/call` of `mul` (and of any other tool wrk
//! will call) correctly before wrk measures it.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::cpu::cpu_time;
use crate::servers::{Server, Setup};

impl Setup {
    /// Starts `server` serving Streamable HTTP at `addr`, and waits until it
    /// answers a `tools/call` of `mul` with 425.
    pub async fn http(&self, server: Server, addr: SocketAddr) -> anyhow::Result<HttpServer> {
        let command = self.http_command(server, addr, None)?;
        HttpServer::start(server, addr, command, self.log_path(server, "http")).await
    }

    /// The command that starts `server` serving Streamable HTTP at `addr`:
    /// a moat server serves `plugins`, or its own plugin directory if
    /// `None`.
    pub fn http_command(
        &self,
        server: Server,
        addr: SocketAddr,
        plugins: Option<&Path>,
    ) -> anyhow::Result<Command> {
        let mut command = self.command(server)?;
        match server {
            Server::Native => command.arg("http").arg(addr.to_string()),
            Server::Python => command.arg("http").arg(addr.port().to_string()),
            _ => command
                .arg("serve")
                .arg("--plugins")
                .arg(plugins.map_or_else(|| self.plugin_dir(server), Ok)?)
                .arg("--cache")
                .arg(self.cache(server))
                .arg("--http")
                .arg(addr.to_string())
                .args(self.extra_args(server)),
        };
        Ok(command)
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
    /// Spawns `command`, which starts `server` serving Streamable HTTP at
    /// `addr`, its stderr going to `log`, and waits until it answers a
    /// `tools/call` of `mul` with 425.
    pub async fn start(
        server: Server,
        addr: SocketAddr,
        mut command: Command,
        log: PathBuf,
    ) -> anyhow::Result<Self> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log)?)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", server.name()))?;
        let running = Self {
            server,
            addr,
            child,
            log,
        };
        running.ready("mul").await?;
        Ok(running)
    }

    /// The URL of the MCP endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Waits until the server answers a `tools/call` of `tool` with 425, or
    /// fails with its log.
    pub async fn ready(&self, tool: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            match post(self.addr, tool).await {
                Ok((200, body)) if body.contains("425") && !body.contains(r#""isError":true"#) => {
                    return Ok(());
                }
                Ok((status, body)) => bail!(
                    "{} answered the check call of {tool} with {status}: {body}",
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

/// The body of a stateless (2026-07-28) `tools/call` of `tool` with x = 25,
/// y = 17: the protocol version and client capabilities travel in `_meta`.
pub fn call_body(tool: &str) -> String {
    json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": tool,
            "arguments": {"x": 25, "y": 17},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    })
    .to_string()
}

/// The headers of a stateless `tools/call` of `tool`, besides `Host` and
/// `Content-Length`: `Mcp-Name` must match the body's tool name.
pub fn call_headers(tool: &str) -> [(&'static str, &str); 5] {
    [
        ("Content-Type", "application/json"),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", tool),
    ]
}

/// POSTs a `tools/call` of `tool` to `/mcp` at `addr` on a connection of
/// its own and returns the status and the raw body (SSE or JSON, chunked or
/// not). Just enough HTTP/1.1 for the check; the measurements use wrk.
async fn post(addr: SocketAddr, tool: &str) -> anyhow::Result<(u16, String)> {
    let body = call_body(tool);
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!("POST /mcp HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in call_headers(tool) {
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
