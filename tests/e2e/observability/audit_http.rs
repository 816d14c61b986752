//! The audit log of `moat serve --http`: the session of a 2025-11-25
//! client, and the era of a stateless 2026-07-28 one.

use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::harness::{PluginDir, serve_http};
use crate::observability::audit::{sha256, verify, wait_for_record};

/// POSTs `body` to `/mcp` with `headers`; returns the session header and
/// the JSON-RPC message answered (from JSON or an SSE `data:` line).
async fn post(addr: SocketAddr, headers: &[(&str, &str)], body: Value) -> (Option<String>, Value) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut request = http::Request::post("/mcp")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let session = response
        .headers()
        .get("mcp-session-id")
        .map(|id| id.to_str().unwrap().to_owned());
    let status = response.status();
    let bytes = tokio::time::timeout(Duration::from_secs(30), response.into_body().collect())
        .await
        .unwrap()
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(status.is_success(), "{status}: {text}");
    let message = text
        .lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .find(|data| !data.trim().is_empty())
        .map_or_else(|| serde_json::from_str(&text), serde_json::from_str)
        .unwrap_or(Value::Null);
    (session, message)
}

fn call_add(id: u64, meta: Option<Value>) -> Value {
    let mut params = json!({"name": "add", "arguments": {"x": 2, "y": 3}});
    if let Some(meta) = meta {
        params["_meta"] = meta;
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
}

#[tokio::test]
async fn http_requests_are_logged_with_their_session_or_their_era() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math();
    let (mut moat, addr) = serve_http(&plugins, &["--audit", log.to_str().unwrap()]).await;

    // A 2025-11-25 client in a session.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "audited-client", "version": "7"}}});
    let (session, _) = post(addr, &[], initialize).await;
    let session = session.expect("a session id");
    let in_session = [
        ("mcp-session-id", session.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    post(addr, &in_session, initialized).await;
    let (_, answer) = post(addr, &in_session, call_add(2, None)).await;
    assert_eq!(
        answer["result"]["structuredContent"]["result"], 5.0,
        "{answer}"
    );
    let record = wait_for_record(&log, |r| r["kind"] == "request").await;
    assert_eq!(record["session"], session.as_str(), "{record}");
    assert_eq!(record["era"], "2025-11-25", "{record}");
    assert_eq!(record["client"], "audited-client/7", "{record}");

    // A stateless 2026-07-28 client: no session, its era named.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "stateless", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}});
    let stateless = [
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "add"),
    ];
    let (_, answer) = post(addr, &stateless, call_add(3, Some(meta))).await;
    assert_eq!(
        answer["result"]["structuredContent"]["result"], 5.0,
        "{answer}"
    );
    let record =
        wait_for_record(&log, |r| r["kind"] == "request" && r["era"] == "2026-07-28").await;
    assert_eq!(record["session"], Value::Null, "{record}");
    assert_eq!(record["target"], "add");
    assert_eq!(record["client"], "stateless/1", "{record}");

    // A client naming itself with 100 KB cannot make lines that long.
    let long_name = "n".repeat(100_000);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": long_name, "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}});
    let (_, answer) = post(addr, &stateless, call_add(4, Some(meta))).await;
    assert_eq!(
        answer["result"]["structuredContent"]["result"], 5.0,
        "{answer}"
    );
    let record = wait_for_record(&log, |r| r["seq"] == 4).await;
    let client = record["client"].as_str().unwrap();
    assert!(
        client.starts_with("nnnn") && client.len() < 1200,
        "{} bytes",
        client.len()
    );
    let whole = sha256(format!("{long_name}/1").as_bytes());
    assert!(
        client.ends_with(&format!("…[100002 bytes, {whole}]")),
        "{client}"
    );

    moat.kill().await.unwrap();
    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
}
