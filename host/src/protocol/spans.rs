//! The span of one MCP request, with `--otlp`: a child of the transport
//! message's span, named `METHOD TARGET` (`tools/call add`) with the
//! attributes the OpenTelemetry conventions for MCP name.

use rmcp::model::{CallToolResponse, GetPromptResponse, ReadResourceResponse};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};
use tracing::Span;

use crate::observe::trace::{self, TARGET, TransportSpan};

/// What a request names, for its span.
pub enum Target<'a> {
    /// Nothing.
    None,
    /// A tool (`tools/call`).
    Tool(&'a str),
    /// A prompt (`prompts/get`).
    Prompt(&'a str),
    /// A resource (`resources/read`).
    Uri(&'a str),
}

/// The span of request `method` on `target`; [`Span::none`] when spans
/// are off.
pub fn request_span(
    method: &'static str,
    context: &RequestContext<RoleServer>,
    target: Target<'_>,
) -> Span {
    if !trace::on() {
        return Span::none();
    }
    let (tool, prompt, uri) = match target {
        Target::None => (None, None, None),
        Target::Tool(tool) => (Some(trace::bounded(tool)), None, None),
        Target::Prompt(prompt) => (None, Some(trace::bounded(prompt)), None),
        Target::Uri(uri) => (None, None, Some(trace::bounded(uri))),
    };
    let name = match tool.or(prompt) {
        Some(target) => format!("{method} {target}"),
        None => method.to_owned(),
    };
    let parts = context.extensions.get::<http::request::Parts>();
    let session = parts
        .and_then(|parts| parts.headers.get("mcp-session-id"))
        .and_then(|id| id.to_str().ok())
        .map(trace::bounded);
    // stdio puts the transport's span in the request's extensions, HTTP in
    // the HTTP request's.
    let parent = context
        .extensions
        .get::<TransportSpan>()
        .or_else(|| parts.and_then(|parts| parts.extensions.get::<TransportSpan>()))
        .and_then(|TransportSpan(span)| span.id());
    let version = context.protocol_version();
    tracing::info_span!(
        target: TARGET,
        parent: parent,
        "mcp request",
        "otel.name" = name,
        "otel.kind" = "server",
        "otel.status_code" = tracing::field::Empty,
        "mcp.method.name" = method,
        "jsonrpc.request.id" = %context.id,
        "mcp.protocol.version" = version.as_ref().map(|v| v.as_str()),
        "mcp.session.id" = session,
        "gen_ai.operation.name" = tool.map(|_| "execute_tool"),
        "gen_ai.tool.name" = tool,
        "gen_ai.prompt.name" = prompt,
        "mcp.resource.uri" = uri,
        "moat.outcome" = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
        "rpc.response.status_code" = tracing::field::Empty,
    )
}

/// Records on `span` how the request was answered: `moat.outcome` (`ok`,
/// `tool_error`, `input_required`, `error`), and for an error its JSON-RPC
/// code as `error.type` and `rpc.response.status_code`.
pub fn finish<T: 'static>(span: &Span, answer: &Result<T, ErrorData>) {
    if span.is_disabled() {
        return;
    }
    let outcome = match answer {
        Ok(result) => outcome(result),
        Err(error) => {
            let code = error.code.0.to_string();
            span.record("error.type", code.as_str());
            span.record("rpc.response.status_code", code.as_str());
            "error"
        }
    };
    span.record("moat.outcome", outcome);
    if outcome == "tool_error" {
        span.record("error.type", "tool_error");
    }
    if matches!(outcome, "tool_error" | "error") {
        span.record("otel.status_code", "error");
    }
}

/// The outcome of a successful answer.
fn outcome<T: 'static>(result: &T) -> &'static str {
    let any: &dyn std::any::Any = result;
    if let Some(response) = any.downcast_ref::<CallToolResponse>() {
        return match response {
            CallToolResponse::Complete(result) if result.is_error == Some(true) => "tool_error",
            CallToolResponse::InputRequired(_) => "input_required",
            _ => "ok",
        };
    }
    let input = any
        .downcast_ref::<GetPromptResponse>()
        .is_some_and(|r| matches!(r, GetPromptResponse::InputRequired(_)))
        || any
            .downcast_ref::<ReadResourceResponse>()
            .is_some_and(|r| matches!(r, ReadResourceResponse::InputRequired(_)));
    if input { "input_required" } else { "ok" }
}
