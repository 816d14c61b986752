//! `moat serve` driven line by line, for what no well-behaved client sends:
//! malformed JSON-RPC, and the 2026-07-28 stateless form.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::harness::{PluginDir, moat_command};

/// `moat serve` over pipes, driven a line at a time.
pub(crate) struct Raw {
    pub(crate) child: Child,
    pub(crate) stdin: ChildStdin,
    pub(crate) stdout: Lines<BufReader<ChildStdout>>,
    /// The plugin directory, kept while moat serves it.
    pub(crate) dir: PluginDir,
}

impl Raw {
    pub(crate) fn start() -> Self {
        Self::start_in(PluginDir::with_math())
    }

    pub(crate) fn start_in(dir: PluginDir) -> Self {
        Self::launch(dir, &[])
    }

    /// `moat GLOBAL… serve --plugins DIR`, `global` being options such as
    /// `--cache DIR` that come before the command.
    pub(crate) fn launch(dir: PluginDir, global: &[&std::ffi::OsStr]) -> Self {
        let mut child = moat_command()
            .args(global)
            .arg("serve")
            .arg("--plugins")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
            dir,
        }
    }

    pub(crate) async fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The next line on stdout, which must be a JSON-RPC 2.0 message.
    pub(crate) async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.stdout.next_line())
            .await
            .expect("moat answered within 30 s")
            .unwrap()
            .expect("moat's stdout is still open");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried a non-JSON line {line:?}: {e}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        message
    }

    pub(crate) async fn request(&mut self, line: &str) -> Value {
        self.send(line).await;
        self.receive().await
    }

    pub(crate) async fn initialize(&mut self) {
        let reply = self
            .request(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#)
            .await;
        assert_eq!(reply["result"]["protocolVersion"], "2025-11-25");
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
    }

    /// Closes stdin and expects moat to exit cleanly, with nothing more on stdout.
    pub(crate) async fn finish(mut self) {
        drop(self.stdin);
        assert_eq!(self.stdout.next_line().await.unwrap(), None);
        let status = self.child.wait().await.unwrap();
        assert!(status.success(), "{status}");
    }
}

#[tokio::test]
async fn malformed_messages_get_json_rpc_errors_and_serving_goes_on() {
    let mut raw = Raw::start();
    raw.initialize().await;

    let reply = raw.request("this is not json").await;
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Parse error")
    );

    let reply = raw.request(r#"{"jsonrpc":"2.0","id":5}"#).await;
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    assert_eq!(reply["id"], 5, "the error answers the request's id");

    let reply = raw.request("[1, 2]").await;
    assert_eq!(reply["error"]["code"], -32600, "{reply}");

    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":6,"method":"no/such/method"}"#)
        .await;
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    assert_eq!(reply["id"], 6);

    // An unknown notification gets no reply (JSON-RPC forbids one): the next
    // line answers the ping that follows it.
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/made_up"}"#)
        .await;
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#)
        .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 7, "result": {}}));

    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"mul","arguments":{"x":25,"y":17}}}"#)
        .await;
    assert_eq!(reply["id"], 8);
    assert_eq!(reply["result"]["structuredContent"]["result"], 425.0);
    raw.finish().await;
}

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}"#;

#[tokio::test]
async fn serves_the_stateless_2026_07_28_form() {
    let mut raw = Raw::start();
    let reply = raw
        .request(&format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{{{META}}}}}"#
        ))
        .await;
    let versions = reply["result"]["supportedVersions"].as_array().unwrap();
    assert!(versions.contains(&json!("2026-07-28")), "{reply}");
    assert!(versions.contains(&json!("2025-11-25")), "{reply}");
    assert!(
        reply["result"]["capabilities"]["tools"].is_object(),
        "{reply}"
    );

    let reply = raw
        .request(&format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{{{META}}}}}"#
        ))
        .await;
    assert_eq!(
        reply["result"]["tools"].as_array().unwrap().len(),
        4,
        "{reply}"
    );

    let reply = raw
        .request(&format!(
            r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{{"name":"mul","arguments":{{"x":25,"y":17}},{META}}}}}"#
        ))
        .await;
    assert_eq!(
        reply["result"]["structuredContent"]["result"], 425.0,
        "{reply}"
    );
    raw.finish().await;
}

#[tokio::test]
async fn a_cancelled_call_is_stopped_and_its_slot_freed() {
    // One slot and a minute per call: unless cancelling stops `spin`, the
    // `echo` behind it waits far longer than `receive` does.
    let dir =
        PluginDir::with_math().with_hostile("[limits]\ntimeout = \"60s\"\nmax_concurrency = 1\n");
    let mut raw = Raw::start_in(dir);
    raw.initialize().await;
    raw.send(
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"spin","arguments":{}}}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"the user gave up"}}"#)
        .await;
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"text":"next"}}}"#)
        .await;
    // No answer to the cancelled request: the first line answers `echo`.
    assert_eq!(reply["id"], 8, "{reply}");
    assert_eq!(reply["result"]["isError"], false, "{reply}");
    raw.finish().await;
}
