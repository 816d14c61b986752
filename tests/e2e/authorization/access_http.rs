//! The policy and rate limits over HTTP: the anonymous loopback caller and
//! the shared token's (`--token-file`) see only what they may use; a call
//! outside the policy is answered 403 `insufficient_scope` by the guard,
//! naming the scopes the policy's `@scope` gives; a call past a rate limit
//! 429 with `Retry-After`, recovering after the window; the host keeps
//! serving throughout.

use std::net::SocketAddr;
use std::time::Duration;

use http::HeaderMap;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::authorization::access::{PolicyFile, allow_tools};
use crate::harness::{PluginDir, serve_http};

/// An answer: status, headers, and the JSON-RPC message (from JSON or an
/// SSE `data:` line; `Null` if none).
struct Answer {
    status: u16,
    headers: HeaderMap,
    message: Value,
}

/// A client of one server, with its session once it has one.
struct Client {
    addr: SocketAddr,
    headers: Vec<(String, String)>,
}

impl Client {
    /// A 2025-11-25 session (initialize, initialized), with `headers`.
    async fn session(addr: SocketAddr, headers: &[(&str, &str)]) -> Self {
        let mut client = Self {
            addr,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "policy-test", "version": "1"}}});
        let answer = client.post(initialize).await;
        assert_eq!(answer.status, 200, "{}", answer.message);
        let session = answer.headers["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        client.headers.push(("mcp-session-id".into(), session));
        client
            .headers
            .push(("mcp-protocol-version".into(), "2025-11-25".into()));
        let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        client.post(initialized).await;
        client
    }

    async fn post(&self, body: Value) -> Answer {
        let stream = TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let mut request = http::Request::post("/mcp")
            .header("host", self.addr.to_string())
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = tokio::time::timeout(Duration::from_secs(30), response.into_body().collect())
            .await
            .unwrap()
            .unwrap()
            .to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let message = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .find(|data| !data.trim().is_empty())
            .map_or_else(|| serde_json::from_str(&text), serde_json::from_str)
            .unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            message,
        }
    }

    async fn call(&self, id: u64, tool: &str) -> Answer {
        self.post(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": {"x": 6, "y": 3}}}))
            .await
    }

    async fn tool_names(&self) -> Vec<String> {
        let answer = self
            .post(json!({"jsonrpc": "2.0", "id": 99, "method": "tools/list"}))
            .await;
        let mut names: Vec<String> = answer.message["result"]["tools"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", answer.message))
            .iter()
            .map(|tool| tool["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }
}

fn result(answer: &Answer) -> f64 {
    assert_eq!(answer.status, 200, "{}", answer.message);
    answer.message["result"]["structuredContent"]["result"]
        .as_f64()
        .unwrap_or_else(|| panic!("{}", answer.message))
}

const SCOPED: &str = r#"
permit(principal, action == Moat::Action::"call_tool", resource == Moat::Tool::"add")
  when { principal.kind == "anonymous" };
@scope("math:divide")
permit(principal, action == Moat::Action::"call_tool", resource == Moat::Tool::"div")
  when { principal.scopes.contains("math:divide") };
@scope("math:all")
permit(principal, action, resource in Moat::Plugin::"math")
  when { principal.scopes.contains("math:all") };
"#;

#[tokio::test]
async fn a_call_outside_the_policy_is_403_insufficient_scope_before_any_plugin() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(SCOPED);
    let path = policy.path();
    let (mut moat, addr) = serve_http(&plugins, &["--policy", path.to_str().unwrap()]).await;
    let client = Client::session(addr, &[]).await;
    assert_eq!(client.tool_names().await, ["add"]);
    assert_eq!(result(&client.call(1, "add").await), 9.0);

    let refused = client.call(2, "div").await;
    assert_eq!(refused.status, 403, "{}", refused.message);
    assert_eq!(
        refused.headers["www-authenticate"],
        r#"Bearer error="insufficient_scope", scope="math:divide math:all""#
    );
    assert_eq!(refused.headers["content-type"], "application/json");
    assert_eq!(refused.message["jsonrpc"], "2.0");
    assert_eq!(refused.message["id"], 2);
    assert_eq!(refused.message["error"]["code"], -32003);
    let message = refused.message["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("`anonymous`") && message.contains("`div`"),
        "{message}"
    );

    // Without a session too: the guard answers before rmcp.
    let bare = Client {
        addr,
        headers: Vec::new(),
    };
    assert_eq!(bare.call(3, "mul").await.status, 403);
    // A tool that does not exist is not the policy's: rmcp's unknown tool.
    let unknown = client.call(4, "nosuch").await;
    assert_eq!(unknown.status, 200, "{}", unknown.message);
    assert_eq!(
        unknown.message["error"]["code"], -32602,
        "{}",
        unknown.message
    );
    // The host keeps serving.
    assert_eq!(result(&client.call(5, "add").await), 9.0);
    moat.kill().await.unwrap();
}

#[tokio::test]
async fn the_shared_token_is_its_own_identity() {
    let plugins = PluginDir::with_math();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let policy = PolicyFile::new(&allow_tools("token", &["mul", "sub"]));
    let path = policy.path();
    let args = [
        "--policy",
        path.to_str().unwrap(),
        "--token-file",
        token.to_str().unwrap(),
    ];
    let (mut moat, addr) = serve_http(&plugins, &args).await;
    let client = Client::session(addr, &[("authorization", "Bearer s3cret-token")]).await;
    assert_eq!(client.tool_names().await, ["mul", "sub"]);
    assert_eq!(result(&client.call(1, "mul").await), 18.0);
    let refused = client.call(2, "add").await;
    assert_eq!(refused.status, 403);
    // No `@scope` names a scope for `add`: no `scope=`.
    assert_eq!(
        refused.headers["www-authenticate"],
        r#"Bearer error="insufficient_scope""#
    );
    moat.kill().await.unwrap();
}

#[tokio::test]
async fn a_rate_limit_is_429_with_retry_after_and_recovers() {
    let plugins = PluginDir::with_math();
    let (mut moat, addr) = serve_http(&plugins, &["--rate-limit-tool", "2/s"]).await;
    let client = Client::session(addr, &[]).await;
    assert_eq!(result(&client.call(1, "add").await), 9.0);
    assert_eq!(result(&client.call(2, "add").await), 9.0);
    let limited = client.call(3, "add").await;
    assert_eq!(limited.status, 429, "{}", limited.message);
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(limited.message["id"], 3);
    assert_eq!(limited.message["error"]["code"], -32029);
    assert_eq!(limited.message["error"]["data"]["limit"], "rate-limit-tool");
    let message = limited.message["error"]["message"].as_str().unwrap();
    assert!(message.contains("--rate-limit-tool 2/s"), "{message}");
    // Another tool has a count of its own; a tool that does not exist is
    // not counted (nor limited).
    assert_eq!(result(&client.call(4, "mul").await), 18.0);
    for id in 5..10 {
        assert_eq!(client.call(id, "nosuch").await.status, 200);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(result(&client.call(10, "add").await), 9.0);
    moat.kill().await.unwrap();
}
