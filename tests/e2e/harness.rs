//! Shared set-up: plugin directories and a running `moat serve`.

use std::path::Path;
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::AsyncReadExt;
use tokio::process::{ChildStderr, Command};

/// The `moat` binary under test.
pub const MOAT: &str = env!("CARGO_BIN_EXE_moat");

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

/// `moat serve` over stdio, driven by the rmcp client.
pub struct Served {
    pub client: RunningService<RoleClient, ()>,
    stderr: ChildStderr,
}

impl Served {
    /// Starts `moat serve --plugins DIR` and completes the MCP handshake.
    pub async fn start(dir: &PluginDir) -> Self {
        let mut command = Command::new(MOAT);
        command.arg("serve").arg("--plugins").arg(dir.path());
        let (transport, stderr) = TokioChildProcess::builder(command)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let client = ().serve(transport).await.expect("MCP handshake with moat");
        Self {
            client,
            stderr: stderr.unwrap(),
        }
    }

    /// Calls `tool` with `arguments` and expects an MCP result (not a JSON-RPC error).
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(params(tool, arguments))
            .await
            .unwrap_or_else(|e| panic!("calling {tool}: {e}"))
    }

    /// Ends the session and returns everything moat wrote to stderr.
    pub async fn stop(mut self) -> String {
        self.client.cancel().await.unwrap();
        let mut log = String::new();
        self.stderr.read_to_string(&mut log).await.unwrap();
        log
    }
}

/// `tools/call` parameters.
pub fn params(tool: &str, arguments: Value) -> CallToolRequestParams {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments)
}

/// The text of a result's single text item.
pub fn text(result: &CallToolResult) -> &str {
    match result.content.as_slice() {
        [item] => &item.as_text().expect("a text item").text,
        other => panic!("expected one content item, got {other:?}"),
    }
}
