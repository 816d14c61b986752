//! A client connected to `moat serve --watch` or `moat dev` that records
//! `notifications/tools/list_changed` and can follow moat's log.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use rmcp::model::CallToolResult;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::ChildStderr;
use tokio::sync::mpsc;

use crate::harness::{PluginDir, moat_command, params};

/// A client that counts `notifications/tools/list_changed`.
pub struct Recorder(mpsc::UnboundedSender<()>);

impl ClientHandler for Recorder {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.0.send(());
    }
}

/// A connected client, told of every tool list change.
pub struct Watched {
    pub client: RunningService<RoleClient, Recorder>,
    changes: mpsc::UnboundedReceiver<()>,
}

impl Watched {
    /// Starts `moat serve --watch --plugins DIR`.
    pub async fn start(dir: &PluginDir) -> Self {
        Self::launch(serve(dir, &[]), Stdio::null()).await.0
    }

    /// Like [`Watched::start`], following moat's log as it is written.
    pub async fn start_logged(dir: &PluginDir) -> (Self, Log) {
        Self::run_logged(serve(dir, &[])).await
    }

    /// Runs `moat ARGS…`, which serves stdio, following its log.
    pub async fn run_logged(args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> (Self, Log) {
        let (watched, log) = Self::launch(args, Stdio::piped()).await;
        (watched, log.unwrap())
    }

    async fn launch(
        args: impl IntoIterator<Item = impl AsRef<OsStr>>,
        stderr: Stdio,
    ) -> (Self, Option<Log>) {
        let mut command = moat_command();
        command
            .args(args)
            // The log lines a test waits for are at info, whatever the
            // environment running the tests asks for.
            .env("RUST_LOG", "info,rmcp=warn");
        let (transport, stderr) = TokioChildProcess::builder(command)
            .stderr(stderr)
            .spawn()
            .unwrap();
        let log = stderr.map(Log::follow);
        let (sender, changes) = mpsc::unbounded_channel();
        let client = Recorder(sender).serve(transport).await.unwrap();
        (Self { client, changes }, log)
    }

    /// Waits for the next `list_changed` notification.
    pub async fn changed(&mut self) {
        tokio::time::timeout(Duration::from_secs(30), self.changes.recv())
            .await
            .expect("a list_changed notification within 30 s")
            .unwrap();
    }

    /// Whether a `list_changed` notification has arrived and not been
    /// waited for.
    pub fn has_changed(&mut self) -> bool {
        self.changes.try_recv().is_ok()
    }

    /// The names of the tools served now.
    pub async fn tools(&self) -> Vec<String> {
        let tools = self.client.list_all_tools().await.unwrap();
        tools.into_iter().map(|t| t.name.into_owned()).collect()
    }

    /// Calls `tool`, expecting an MCP result (not a JSON-RPC error).
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(params(tool, arguments))
            .await
            .unwrap()
    }
}

/// moat's log, line by line, as it is written.
pub struct Log(mpsc::UnboundedReceiver<String>);

impl Log {
    fn follow(stderr: ChildStderr) -> Self {
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self(lines)
    }

    /// Forgets the lines read so far.
    pub fn skip(&mut self) {
        while self.0.try_recv().is_ok() {}
    }

    /// Waits for the next line that contains `text`, and returns it.
    pub async fn wait_for(&mut self, text: &str) -> String {
        let found = async {
            while let Some(line) = self.0.recv().await {
                if line.contains(text) {
                    return line;
                }
            }
            panic!("moat's log ended before a line with `{text}`");
        };
        tokio::time::timeout(Duration::from_secs(30), found)
            .await
            .unwrap_or_else(|_| panic!("a line with `{text}` in moat's log within 30 s"))
    }
}

/// `serve --watch --plugins DIR`, then `extra`.
pub fn serve<'a>(dir: &'a PluginDir, extra: &'a [&'a str]) -> Vec<&'a OsStr> {
    let mut args: Vec<&OsStr> = ["serve", "--watch", "--plugins"].map(OsStr::new).to_vec();
    args.push(dir.path().as_os_str());
    args.extend(extra.iter().map(OsStr::new));
    args
}
