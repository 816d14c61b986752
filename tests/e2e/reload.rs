//! `moat serve --watch`: plugins come, change, break and go while a client
//! stays connected.

use std::process::Stdio;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::harness::{MOAT, PluginDir, params};

/// A client that counts `notifications/tools/list_changed`.
struct Recorder(mpsc::UnboundedSender<()>);

impl ClientHandler for Recorder {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.0.send(());
    }
}

struct Watched {
    client: RunningService<RoleClient, Recorder>,
    changes: mpsc::UnboundedReceiver<()>,
}

impl Watched {
    async fn start(dir: &PluginDir) -> Self {
        let mut command = Command::new(MOAT);
        command
            .arg("serve")
            .arg("--watch")
            .arg("--plugins")
            .arg(dir.path());
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (sender, changes) = mpsc::unbounded_channel();
        let client = Recorder(sender).serve(transport).await.unwrap();
        Self { client, changes }
    }

    /// Waits for the next `list_changed` notification.
    async fn changed(&mut self) {
        tokio::time::timeout(Duration::from_secs(30), self.changes.recv())
            .await
            .expect("a list_changed notification within 30 s")
            .unwrap();
    }

    async fn tools(&self) -> Vec<String> {
        let tools = self.client.list_all_tools().await.unwrap();
        tools.into_iter().map(|t| t.name.into_owned()).collect()
    }

    async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(params(tool, arguments))
            .await
            .unwrap()
    }
}

fn result(outcome: &CallToolResult) -> f64 {
    outcome.structured_content.as_ref().unwrap()["result"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn plugins_come_change_break_and_go_while_a_client_is_connected() {
    let dir = PluginDir::with_math();
    let mut served = Watched::start(&dir).await;
    assert_eq!(served.tools().await, ["add", "sub", "mul", "div"]);

    // Added: its tools appear and the client is told.
    std::fs::copy(
        moat_test_artifacts::HOSTILE,
        dir.path().join("hostile.wasm"),
    )
    .unwrap();
    served.changed().await;
    assert!(served.tools().await.contains(&"echo".to_owned()));

    // Replaced by a new version (dupe's `add` answers x - y), with calls
    // running throughout: none fails, and the new behaviour arrives.
    let calls = async {
        let mut answers = Vec::new();
        for _ in 0..200 {
            let outcome = served.call("add", json!({"x": 5, "y": 3})).await;
            assert_ne!(outcome.is_error, Some(true), "{outcome:?}");
            answers.push(result(&outcome));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        answers
    };
    let swap = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let staged = dir.path().join("math.wasm.part");
        std::fs::copy(moat_test_artifacts::DUPE, &staged).unwrap();
        std::fs::rename(&staged, dir.path().join("math.wasm")).unwrap();
    };
    let (answers, ()) = tokio::join!(calls, swap);
    assert_eq!(answers.first(), Some(&8.0));
    assert_eq!(answers.last(), Some(&2.0), "the new version answers");
    served.changed().await;

    // Replaced by garbage: the previous version keeps answering.
    std::fs::write(dir.path().join("math.wasm"), b"half a file").unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        result(&served.call("add", json!({"x": 5, "y": 3})).await),
        2.0
    );

    // Deleted: its tools go, the others stay.
    std::fs::remove_file(dir.path().join("math.wasm")).unwrap();
    served.changed().await;
    let tools = served.tools().await;
    assert!(!tools.contains(&"add".to_owned()), "{tools:?}");
    assert!(tools.contains(&"echo".to_owned()), "{tools:?}");
    let error = served
        .client
        .call_tool(CallToolRequestParams::new("add").with_arguments(serde_json::Map::new()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Unknown tool: add"), "{error}");
}

#[tokio::test]
async fn a_changed_manifest_takes_effect() {
    let dir = PluginDir::empty().with_hostile("[capabilities]\nenv = { STAGE = \"one\" }\n");
    let mut served = Watched::start(&dir).await;
    let vars = |outcome: CallToolResult| outcome.structured_content.unwrap()["vars"].clone();
    assert_eq!(
        vars(served.call("env", json!({})).await),
        json!({"STAGE": "one"})
    );

    std::fs::write(
        dir.path().join("hostile.toml"),
        "[tools]\nprefix = \"h\"\n[capabilities]\nenv = { STAGE = \"two\" }\n",
    )
    .unwrap();
    served.changed().await;
    assert_eq!(
        vars(served.call("h_env", json!({})).await),
        json!({"STAGE": "two"})
    );
}
