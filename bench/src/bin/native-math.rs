//! `native-math`: the math plugin's four tools as a plain rmcp server, with
//! no sandbox. It is the floor `mcp-bench` measures moat against, so it
//! answers exactly what moat serving `plugins/math` answers (the same tool
//! definitions; structured content `{"result":425}` and the same JSON as the
//! one text item) and uses the same rmcp configuration, so the difference
//! between the two is what moat adds: the registry, the per-call `Store` and
//! instance, and the JSON crossing into and out of the guest.
//!
//! ```sh
//! native-math stdio             # MCP over stdin and stdout
//! native-math http 127.0.0.1:0  # Streamable HTTP at /mcp; prints the address bound
//! ```
//!
//! Over stdio it reads and writes through rmcp's non-blocking pipes
//! (`stdio_pipes`), as moat's transport does (`host/src/stdio.rs`).
//! Over HTTP it mirrors `moat serve --http` (`host/src/http.rs`): rmcp's
//! default `StreamableHttpServerConfig` with the loopback `Host` and
//! `Origin` allow-lists, a fresh handler per session or stateless request,
//! and `TCP_NODELAY` on every accepted connection. It is a bench-only
//! binary and logs nothing.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::serve::ListenerExt as _;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::transport::io::stdio_pipes;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler, ServiceExt as _};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// The path the MCP endpoint is served at, as moat's.
const PATH: &str = "/mcp";

/// The names and page origins a loopback server accepts, as moat's.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
const LOOPBACK_ORIGINS: [&str; 3] = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"];

/// Serves stdio or Streamable HTTP, as the first argument says.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let server = NativeMath::new();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["stdio"] => {
            // As moat: non-blocking pipes, not tokio's blocking stdin/stdout.
            let running = server.serve(stdio_pipes()).await?;
            running.waiting().await?;
            Ok(())
        }
        ["http", addr] => {
            let addr = addr
                .parse()
                .with_context(|| format!("bad address {addr}"))?;
            serve_http(server, addr).await
        }
        _ => anyhow::bail!("usage: native-math stdio | native-math http ADDR"),
    }
}

/// Serves `server` over Streamable HTTP at `addr`, configured as `moat serve
/// --http` is. Prints `listening on ADDR` to stderr once it accepts
/// connections.
async fn serve_http(server: NativeMath, addr: SocketAddr) -> anyhow::Result<()> {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(LOOPBACK_HOSTS.iter().map(|h| h.to_string()))
        .with_allowed_origins(LOOPBACK_ORIGINS.iter().map(|o| o.to_string()));
    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = Router::new().route_service(PATH, mcp);
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!("listening on {}", listener.local_addr()?);
    // Without TCP_NODELAY, rmcp's small SSE frames wait about 40 ms on
    // Nagle's algorithm and the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .await
        .context("the HTTP server failed")
}

/// The four tools, defined once and shared by every session.
#[derive(Clone)]
struct NativeMath {
    tools: Arc<[Tool]>,
}

/// What every tool takes.
#[derive(Deserialize)]
struct Operands {
    x: f64,
    y: f64,
}

impl NativeMath {
    fn new() -> Self {
        let tools = [
            ("add", "Add", "Add two numbers"),
            ("sub", "Subtract", "Subtract y from x"),
            ("mul", "Multiply", "Multiply two numbers"),
            ("div", "Divide", "Divide x by y"),
        ]
        .map(|(name, title, description)| {
            Tool::new(name, description, object(operands_schema()))
                .with_title(title)
                .with_raw_output_schema(Arc::new(object(answer_schema())))
                .with_annotations(
                    ToolAnnotations::new()
                        .read_only(true)
                        .idempotent(true)
                        .open_world(false),
                )
        });
        Self {
            tools: Arc::new(tools),
        }
    }
}

/// The input schema, as moat's plugin SDK derives it from `Operands`.
fn operands_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "x": {"type": "number", "format": "double"},
            "y": {"type": "number", "format": "double"},
        },
        "required": ["x", "y"],
    })
}

/// The output schema: `{"result": number}`.
fn answer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"result": {"type": "number", "format": "double"}},
        "required": ["result"],
    })
}

/// The object inside `value`, which the callers know is one.
fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

/// The largest integer an `f64` holds exactly.
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// `value` as JSON, a whole number written as an integer (`425`, not
/// `425.0`), as moat's plugin SDK writes it.
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() <= EXACT_F64 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// Applies tool `name` to `arguments`: the answer, or the message of a tool
/// error (`None` for an unknown tool).
fn apply(name: &str, arguments: Option<JsonObject>) -> Option<Result<f64, String>> {
    let op: fn(f64, f64) -> f64 = match name {
        "add" => |x, y| x + y,
        "sub" => |x, y| x - y,
        "mul" => |x, y| x * y,
        "div" => |x, y| x / y,
        _ => return None,
    };
    let arguments = Value::Object(arguments.unwrap_or_default());
    Some(match serde_json::from_value::<Operands>(arguments) {
        Err(error) => Err(format!("invalid arguments: {error}")),
        Ok(Operands { x, y }) => match op(x, y) {
            result if result.is_finite() => Ok(result),
            _ if y == 0.0 => Err("division by zero".into()),
            _ => Err("the result is out of range".into()),
        },
    })
}

impl ServerHandler for NativeMath {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new("native-math", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|tool| tool.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let result = match apply(&request.name, request.arguments) {
            None => {
                let message = format!("Unknown tool: {}", request.name);
                return Err(ErrorData::invalid_params(message, None));
            }
            Some(Ok(result)) => CallToolResult::structured(json!({"result": number(result)})),
            Some(Err(message)) => CallToolResult::error(vec![ContentBlock::text(message)]),
        };
        Ok(result.into())
    }
}
