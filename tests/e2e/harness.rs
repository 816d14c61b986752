//! Shared set-up: plugin directories and a running `moat serve`.

use std::path::Path;
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt};
use tokio::process::{ChildStderr, Command};

/// The `moat` binary under test.
pub const MOAT: &str = env!("CARGO_BIN_EXE_moat");

/// `moat`, to be given its arguments. `moat serve` waits for every plugin
/// before serving (`MOAT_STARTUP_WAIT`, as `--startup-wait`), so that what a
/// test lists does not depend on how loaded the machine is; the test of the
/// wait itself passes `--startup-wait`, which wins.
pub fn moat_command() -> Command {
    let mut command = Command::new(MOAT);
    command.env("MOAT_STARTUP_WAIT", "10m");
    command
}

/// [`moat_command`] for a test that waits on moat without a runtime.
pub fn moat_blocking() -> std::process::Command {
    let mut command = std::process::Command::new(MOAT);
    command.env("MOAT_STARTUP_WAIT", "10m");
    command
}

/// A temporary plugin directory.
pub struct PluginDir(TempDir);

impl PluginDir {
    /// An empty directory.
    pub fn empty() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    /// A directory holding the math sample plugin as `math.wasm`.
    pub fn with_math() -> Self {
        Self::empty().copy(moat_test_artifacts::MATH, "math.wasm")
    }

    /// Adds the hostile fixture as `hostile.wasm`, with `manifest` as its
    /// `hostile.toml` unless it is empty.
    pub fn with_hostile(self, manifest: &str) -> Self {
        let dir = self.copy(moat_test_artifacts::HOSTILE, "hostile.wasm");
        if manifest.is_empty() {
            dir
        } else {
            dir.write("hostile.toml", manifest.as_bytes())
        }
    }

    /// Adds everything in `bundle` (a sample's manifest and data).
    pub fn with_bundle(self, bundle: &str) -> Self {
        copy_tree(Path::new(bundle), self.path());
        self
    }

    /// Adds a copy of the file at `from`, named `name`.
    pub fn copy(self, from: &str, name: &str) -> Self {
        std::fs::copy(from, self.path().join(name)).unwrap();
        self
    }

    /// Adds a file holding `bytes`.
    pub fn write(self, name: &str, bytes: &[u8]) -> Self {
        std::fs::write(self.path().join(name), bytes).unwrap();
        self
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `moat serve` over stdio, driven by the rmcp client.
pub struct Served {
    pub client: RunningService<RoleClient, ()>,
    /// The `moat` child's process id.
    pub pid: u32,
    /// moat's stderr, read as it comes so that a full pipe never blocks it.
    stderr: tokio::task::JoinHandle<String>,
}

impl Served {
    /// Starts `moat serve --plugins DIR` and completes the MCP handshake.
    pub async fn start(dir: &PluginDir) -> Self {
        Self::start_with_env(dir, &[]).await
    }

    /// Like [`Served::start`], with extra environment variables for moat.
    pub async fn start_with_env(dir: &PluginDir, env: &[(&str, &str)]) -> Self {
        let mut command = moat_command();
        command.arg("serve").arg("--plugins").arg(dir.path());
        command.envs(env.iter().copied());
        Self::start_command(command).await
    }

    /// Runs `command` (which must end up as `moat serve` over stdio) and
    /// completes the MCP handshake.
    pub async fn start_command(command: Command) -> Self {
        let (transport, stderr) = TokioChildProcess::builder(command)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = transport.id().expect("moat is running");
        let client = ().serve(transport).await.expect("MCP handshake with moat");
        Self {
            client,
            pid,
            stderr: tokio::spawn(read_all(stderr.unwrap())),
        }
    }

    /// The names of every tool served, following `nextCursor`.
    pub async fn tool_names(&self) -> Vec<String> {
        let tools = self.client.list_all_tools().await.unwrap();
        tools
            .into_iter()
            .map(|tool| tool.name.into_owned())
            .collect()
    }

    /// Calls `tool` with `arguments` and expects an MCP result (not a JSON-RPC error).
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(params(tool, arguments))
            .await
            .unwrap_or_else(|e| panic!("calling {tool}: {e}"))
    }

    /// Ends the session and returns everything moat wrote to stderr.
    pub async fn stop(self) -> String {
        self.client.cancel().await.unwrap();
        self.stderr.await.unwrap()
    }
}

async fn read_all(mut stderr: ChildStderr) -> String {
    let mut log = String::new();
    stderr.read_to_string(&mut log).await.unwrap();
    log
}

/// `tools/call` parameters.
pub fn params(tool: &str, arguments: Value) -> CallToolRequestParams {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments)
}

/// Calls `tool` and expects a tool error; returns its message.
pub async fn tool_error(served: &Served, tool: &str, arguments: Value) -> String {
    let result = served.call(tool, arguments).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} should fail: {result:?}"
    );
    text(&result).to_owned()
}

/// Checks that math still answers on the same connection.
pub async fn math_still_works(served: &Served) {
    let result = served
        .call("mul", serde_json::json!({"x": 25, "y": 17}))
        .await;
    assert_eq!(result.structured_content.unwrap()["result"], 425.0);
}

/// The text of a result's single text item.
pub fn text(result: &CallToolResult) -> &str {
    match result.content.as_slice() {
        [item] => &item.as_text().expect("a text item").text,
        other => panic!("expected one content item, got {other:?}"),
    }
}

/// `moat serve --http 127.0.0.1:0` with `extra`, and where it listens.
pub async fn serve_http(
    dir: &PluginDir,
    extra: &[&str],
) -> (tokio::process::Child, std::net::SocketAddr) {
    let mut child = moat_command()
        .args(["serve", "--http", "127.0.0.1:0", "--plugins"])
        .arg(dir.path())
        .args(extra)
        .env("RUST_LOG", "info,rmcp=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let find = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.split("over Streamable HTTP at http://").nth(1) {
                return at.trim_end_matches("/mcp").parse().unwrap();
            }
        }
        panic!("moat stopped before serving HTTP");
    };
    // A safety net, not a speed check.
    let addr = tokio::time::timeout(std::time::Duration::from_secs(60), find)
        .await
        .unwrap();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}
