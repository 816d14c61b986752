//! The servers: how each is started over stdio and over HTTP, and a check
//! that an HTTP server answers a stateless `tools/call` correctly.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rmcp::transport::TokioChildProcess;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// One of the servers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Server {
    /// `moat serve` with the math plugin.
    Moat,
    /// A second `moat` binary (`--baseline`), run exactly as moat is: the
    /// same build before a change, say.
    #[value(skip)]
    Baseline,
    /// `native-math`: rmcp, no sandbox.
    Native,
    /// `math_server.py`: the Python SDK's `MCPServer`.
    Python,
}

impl Server {
    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Moat => "moat",
            Self::Baseline => "baseline",
            Self::Native => "native",
            Self::Python => "python",
        }
    }

    /// Whether this is a `moat` binary, which serves plugins.
    pub fn is_moat(self) -> bool {
        matches!(self, Self::Moat | Self::Baseline)
    }
}

/// Where everything the servers need is.
pub struct Setup {
    /// The `moat` binary.
    pub moat: PathBuf,
    /// The `--baseline` moat binary, if any.
    pub baseline: Option<PathBuf>,
    /// The math plugin.
    pub math: PathBuf,
    /// A plugin directory holding only `math.wasm`.
    pub plugins: PathBuf,
    /// Where the compile caches go: one directory per moat binary.
    pub caches: PathBuf,
    /// The `native-math` binary.
    pub native: PathBuf,
    /// The Python interpreter with `mcp` installed.
    pub python: PathBuf,
    /// `bench/python/math_server.py`.
    pub script: PathBuf,
    /// Where each server's stderr goes.
    pub logs: PathBuf,
}

impl Setup {
    /// Starts `server` serving stdio, as a child process whose stdin and
    /// stdout are the transport, its stderr going to a log file named after
    /// `label`.
    pub fn stdio(&self, server: Server, label: &str) -> anyhow::Result<TokioChildProcess> {
        if server.is_moat() {
            return self.moat_stdio(server, &self.plugins, &self.cache(server), label);
        }
        let mut command = self.command(server)?;
        command.arg("stdio");
        self.spawn_stdio(server, command, label)
    }

    /// Starts the moat binary `server` serving stdio with the plugins in
    /// `plugins` and the compile cache `cache`, its stderr going to a log
    /// file named after `label`.
    pub fn moat_stdio(
        &self,
        server: Server,
        plugins: &Path,
        cache: &Path,
        label: &str,
    ) -> anyhow::Result<TokioChildProcess> {
        let mut command = self.command(server)?;
        command
            .arg("serve")
            .arg("--plugins")
            .arg(plugins)
            .arg("--cache")
            .arg(cache);
        self.spawn_stdio(server, command, label)
    }

    /// Spawns `command`, the stdio server `server` started for `label`.
    fn spawn_stdio(
        &self,
        server: Server,
        command: Command,
        label: &str,
    ) -> anyhow::Result<TokioChildProcess> {
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(self.log(server, label)?)
            .spawn()
            .with_context(|| format!("cannot start {}", server.name()))?;
        Ok(transport)
    }

    /// Starts `server` serving Streamable HTTP at `addr`, and waits until it
    /// answers a `tools/call` of `mul` with 425.
    pub async fn http(&self, server: Server, addr: SocketAddr) -> anyhow::Result<HttpServer> {
        let mut command = self.command(server)?;
        match server {
            Server::Moat | Server::Baseline => command
                .arg("serve")
                .arg("--plugins")
                .arg(&self.plugins)
                .arg("--cache")
                .arg(self.cache(server))
                .arg("--http")
                .arg(addr.to_string()),
            Server::Native => command.arg("http").arg(addr.to_string()),
            Server::Python => command.arg("http").arg(addr.port().to_string()),
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

    /// The compile cache of the moat binary `server` for the math plugin.
    pub fn cache(&self, server: Server) -> PathBuf {
        self.caches.join(server.name())
    }

    /// The program (and script) of `server`, without its arguments.
    fn command(&self, server: Server) -> anyhow::Result<Command> {
        Ok(match server {
            Server::Moat => Command::new(&self.moat),
            Server::Baseline => {
                Command::new(self.baseline.as_ref().context("no --baseline binary")?)
            }
            Server::Native => Command::new(&self.native),
            Server::Python => {
                let mut command = Command::new(&self.python);
                command.arg(&self.script);
                command
            }
        })
    }

    /// A new log file for `server`'s stderr.
    fn log(&self, server: Server, label: &str) -> anyhow::Result<File> {
        Ok(File::create(self.log_path(server, label))?)
    }

    /// Where `server`'s stderr goes when started for `label`.
    fn log_path(&self, server: Server, label: &str) -> PathBuf {
        self.logs.join(format!("{}-{label}.log", server.name()))
    }

    /// What `server` wrote to stderr when started for `label`, to explain a
    /// failure.
    pub fn log_text(&self, server: Server, label: &str) -> String {
        std::fs::read_to_string(self.log_path(server, label)).unwrap_or_default()
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

/// `getconf CLK_TCK` on Linux, everywhere but on exotic kernels.
const CLOCK_TICKS_PER_SECOND: u64 = 100;

/// How long a server may take to start answering.
const START_PATIENCE: Duration = Duration::from_secs(60);

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

    /// The CPU time the server process has used so far, user and system,
    /// all threads, from `/proc/PID/stat` (Linux; `None` elsewhere). Its
    /// resolution is a clock tick, 10 ms.
    pub fn cpu_time(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()?)).ok()?;
        // After the command name in parentheses: state, ppid, ... with
        // utime and stime the 12th and 13th fields.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_millis(ticks * 1000 / CLOCK_TICKS_PER_SECOND))
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
