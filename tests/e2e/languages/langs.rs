//! Python and JavaScript plugins, built from `tests/fixtures/python/` and
//! `tests/fixtures/js/` by `make lang-fixtures` (componentize-py and jco
//! from the registries), served by the real binary to the rmcp client.
//!
//! Every moat started here shares one compile cache, so each component is
//! compiled once per run (a Python one takes 8–17 s).

use std::path::{Path, PathBuf};

use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use crate::harness::{PluginDir, Served, moat_command, text, tool_error};
use crate::transport::raw_stdio::Raw;

/// The component `make lang-fixtures` built for `name` (`py-server`,
/// `js-calc`, ...), from `$MOAT_LANG_FIXTURES` or `target/lang-fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    let dir = std::env::var_os("MOAT_LANG_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/lang-fixtures"));
    let wasm = dir.join(format!("{name}.wasm"));
    assert!(
        wasm.is_file(),
        "{} is missing: run `make lang-fixtures` first",
        wasm.display()
    );
    wasm
}

/// The compile cache every moat in these tests shares.
pub fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("lang-cache")
}

/// A plugin directory holding the fixture `name` as `name.wasm`.
pub fn plugin_dir(name: &str) -> PluginDir {
    let wasm = fixture(name);
    PluginDir::empty().copy(wasm.to_str().unwrap(), &format!("{name}.wasm"))
}

/// `moat serve` of one fixture, with the shared cache, and its directory.
async fn serve(name: &str) -> (Served, PluginDir) {
    let dir = plugin_dir(name);
    (serve_dir(&dir).await, dir)
}

/// `moat serve --plugins DIR` with the shared cache.
pub async fn serve_dir(dir: &PluginDir) -> Served {
    let mut command = moat_command();
    command
        .arg("--cache")
        .arg(cache())
        .args(["serve", "--plugins"])
        .arg(dir.path());
    Served::start_command(command).await
}

/// A successful result's structured content, checked to be repeated as
/// the one text item (which moat adds when the plugin gave none).
pub fn structured(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let value = result
        .structured_content
        .clone()
        .expect("structured content");
    let repeated: Value = serde_json::from_str(text(result)).expect("the text item is JSON");
    assert_eq!(
        repeated, value,
        "the text item repeats the structured content"
    );
    value
}

/// What both whole-server fixtures (`moat:plugin/tools`) show; returns the
/// server, still serving, and its directory.
async fn whole_server(name: &str) -> (Served, PluginDir) {
    let (served, dir) = serve(name).await;
    assert_eq!(served.tool_names().await, ["mul", "div", "fail", "chatty"]);

    let product = served.call("mul", json!({"x": 25, "y": 17})).await;
    assert_eq!(structured(&product), json!({"result": 425}));

    let refused = tool_error(&served, "div", json!({"x": 1, "y": 0})).await;
    assert_eq!(refused, "cannot divide by zero: y must not be 0");

    // An exception (a trap in the component) reaches the client with its
    // message, not only the last frames of its stack.
    let crashed = tool_error(&served, "fail", json!({"message": "the sky fell"})).await;
    assert!(
        crashed.contains(&format!("plugin `{name}` crashed")),
        "{crashed}"
    );
    assert!(crashed.contains("the sky fell"), "{crashed}");

    // The next call starts from a fresh instance and answers.
    let said = served.call("chatty", json!({"message": "hello"})).await;
    assert_eq!(text(&said), "said hello");
    let product = served.call("mul", json!({"x": 2, "y": 3})).await;
    assert_eq!(structured(&product), json!({"result": 6}));
    (served, dir)
}

#[tokio::test]
async fn python_whole_server_lists_calls_and_reports_exceptions() {
    let (served, _dir) = whole_server("py-server").await;
    let log = served.stop().await;
    // Python names the exception's type and message.
    assert!(log.contains("ValueError: the sky fell"), "{log}");
    // What the plugin printed went to moat's log, tagged, and never to the
    // protocol stream (checked line by line now the compile is cached).
    assert!(
        log.contains(r#"hello plugin="py-server" stream="stdout""#),
        "{log}"
    );
    prints_stay_off_the_protocol_stream("py-server").await;
}

#[tokio::test]
async fn javascript_whole_server_lists_calls_and_reports_exceptions() {
    let (served, _dir) = whole_server("js-server").await;
    let log = served.stop().await;
    assert!(log.contains("chatty was called with hello"), "{log}");
}

/// A tools/call line for `chatty`.
fn chatty(id: u32) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "chatty", "arguments": {"message": "not protocol"}}})
    .to_string()
}

/// Calls `chatty` of the fixture `name` over raw stdio, where every line
/// must be JSON-RPC: the plugin's `print` would be one that is not.
async fn prints_stay_off_the_protocol_stream(name: &str) {
    let cache = cache();
    let mut raw = Raw::launch(plugin_dir(name), &["--cache".as_ref(), cache.as_os_str()]);
    raw.initialize().await;
    for id in 1..=2 {
        let reply = raw.request(&chatty(id)).await;
        assert_eq!(reply["id"], id);
        assert_eq!(reply["result"]["content"][0]["text"], "said not protocol");
    }
    drop(raw.stdin);
    let rest = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut rest = Vec::new();
        while let Some(line) = raw.stdout.next_line().await.unwrap() {
            rest.push(line);
        }
        rest
    })
    .await
    .expect("moat ends when stdin closes");
    assert!(rest.is_empty(), "{rest:?}");
}
