//! The spans exported over OTLP with `--otlp`: one per message a transport
//! receives, one per MCP request the handler answers, one per plugin run.
//!
//! Spans are made only when `--otlp` switched them on ([`enable`]): without
//! it, each place that would make one reads one relaxed atomic and makes
//! [`Span::none`], so that a host without a collector pays nothing for
//! them. Every span has the target [`TARGET`], which is all the OTLP layer
//! exports (rmcp's and wasmtime's own spans stay out of the traces).

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::Span;

/// The target of every span moat exports.
pub const TARGET: &str = "moat::trace";

static ON: AtomicBool = AtomicBool::new(false);

/// Switches span making on, for the rest of the process (`--otlp`).
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Whether spans are made.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// The span of the transport message that carried a request, kept in the
/// request's extensions so that the handler's span is its child (rmcp runs
/// the handler in a task of its own, outside the transport's span).
#[derive(Clone, Debug)]
pub struct TransportSpan(pub Span);

/// The span of one line read from stdin, or [`Span::none`] when spans are
/// off.
pub fn stdio_message() -> Span {
    if !on() {
        return Span::none();
    }
    tracing::info_span!(
        target: TARGET,
        "stdio message",
        "otel.kind" = "server",
        "network.transport" = "pipe",
    )
}

/// The span of one HTTP request to `path` with `method`, or [`Span::none`]
/// when spans are off. `path` is the route the host serves (`/mcp`,
/// `/metrics`), never a client's own text.
pub fn http_request(method: &http::Method, path: &'static str) -> Span {
    if !on() {
        return Span::none();
    }
    tracing::info_span!(
        target: TARGET,
        "HTTP request",
        "otel.name" = format!("{method} {path}"),
        "otel.kind" = "server",
        "http.request.method" = method.as_str(),
        "http.route" = path,
        "network.transport" = "tcp",
        "http.response.status_code" = tracing::field::Empty,
    )
}

/// Shortens `text` (a client's tool name or URI in a span attribute) to at
/// most 256 bytes, on a character boundary.
pub fn bounded(text: &str) -> &str {
    const MAX: usize = 256;
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_keeps_short_text_and_cuts_long_text_on_a_character() {
        assert_eq!(bounded("add"), "add");
        let long = "é".repeat(200);
        let cut = bounded(&long);
        assert!(cut.len() <= 256 && long.starts_with(cut) && cut.len() >= 254);
    }
}
