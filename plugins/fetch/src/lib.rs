//! Fetches a text page over HTTP(S) with `wasi:http`. The host sends the
//! request, and only to the `host:port`s the plugin's manifest lists:
//! `bundle/fetch.toml` allows `example.com:443`. Without it, every request is
//! denied.
//!
//! A tool is synchronous, so this calls `wasi:http` through its plain
//! bindings (the `wasip2` crate) and blocks in `wasi:io/poll` while it waits.

use http::Uri;
use moat_plugin_sdk::Tool;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, IncomingResponse, OutgoingRequest, Scheme};
use wasip2::io::streams::StreamError;

/// The most body text a call returns, so that one page cannot flood the
/// model's context; the rest is never read.
const MAX_BODY: usize = 100 << 10;

#[derive(Deserialize, JsonSchema)]
struct Url {
    /// An `http` or `https` URL, e.g. `https://example.com/`.
    url: String,
}

#[derive(Serialize, JsonSchema)]
struct Page {
    /// The HTTP status, e.g. 200 or 404. Redirects are not followed.
    status: u16,
    /// The `content-type` header, e.g. `text/html; charset=UTF-8`.
    content_type: String,
    /// The body as text, cut at 100 KiB.
    body: String,
    /// Whether `body` was cut.
    truncated: bool,
}

fn fetch(Url { url }: Url) -> Result<Page, String> {
    let invalid = || format!("`{url}` is not an http(s) URL such as https://example.com/");
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let scheme = match uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        _ => return Err(invalid()),
    };
    let authority = uri.authority().map_or("", |a| a.as_str());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    // A GET whose body is never opened: the host sends it without one.
    let request = OutgoingRequest::new(Fields::new());
    request
        .set_scheme(Some(&scheme))
        .and(request.set_authority(Some(authority)))
        .and(request.set_path_with_query(Some(path)))
        .map_err(|()| invalid())?;
    let fail = |code| format!("cannot fetch {url}: {}", explain(authority, code));

    let response = send(request).map_err(fail)?;
    let status = response.status();
    let content_type = match response.headers().get("content-type").first() {
        Some(value) => String::from_utf8_lossy(value).into_owned(),
        None => String::new(),
    };
    if !content_type.is_empty() && !is_text(&content_type) {
        return Err(not_text(&url, &content_type));
    }
    let mut bytes = read_body(&response).map_err(fail)?;
    let truncated = bytes.len() > MAX_BODY;
    bytes.truncate(MAX_BODY);
    // Only the last character, split by the cut, may be invalid (it becomes U+FFFD).
    if let Err(err) = std::str::from_utf8(&bytes)
        && err.error_len().is_some()
    {
        return Err(not_text(&url, &content_type));
    }
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Ok(Page {
        status,
        content_type,
        body,
        truncated,
    })
}

/// Sends `request` and waits for the head of the response.
fn send(request: OutgoingRequest) -> Result<IncomingResponse, ErrorCode> {
    let response = outgoing_handler::handle(request, None)?;
    loop {
        match response.get() {
            Some(Ok(result)) => return result,
            Some(Err(())) => return Err(ErrorCode::InternalError(None)),
            None => response.subscribe().block(),
        }
    }
}

/// Reads the body up to one byte past [`MAX_BODY`], so the caller can tell
/// whether there was more.
fn read_body(response: &IncomingResponse) -> Result<Vec<u8>, ErrorCode> {
    let body = response
        .consume()
        .map_err(|()| ErrorCode::InternalError(None))?;
    let stream = body.stream().map_err(|()| ErrorCode::InternalError(None))?;
    let mut bytes = Vec::new();
    while bytes.len() <= MAX_BODY {
        match stream.blocking_read((MAX_BODY + 1 - bytes.len()) as u64) {
            Ok(chunk) => bytes.extend(chunk),
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(err)) => {
                let code = wasip2::http::types::http_error_code(&err);
                return Err(code.unwrap_or(ErrorCode::InternalError(Some(err.to_debug_string()))));
            }
        }
    }
    Ok(bytes)
}

/// Whether a `content-type` names text: `text/*`, JSON, XML or JavaScript.
fn is_text(content_type: &str) -> bool {
    let mime = content_type.to_ascii_lowercase();
    mime.starts_with("text/")
        || ["json", "xml", "javascript"]
            .iter()
            .any(|t| mime.contains(t))
}

fn not_text(url: &str, content_type: &str) -> String {
    format!("{url} is not text (`{content_type}`); `fetch` returns only text pages")
}

/// A `wasi:http` error as the model should read it. The host answers a
/// request to a `host:port` that the manifest does not list with
/// `HttpRequestDenied`.
fn explain(authority: &str, code: ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => {
            format!(
                "{authority} is not allowed: this plugin may reach only the hosts granted to it"
            )
        }
        ErrorCode::DnsError(_) | ErrorCode::DnsTimeout | ErrorCode::DestinationNotFound => {
            format!("no host named {authority}; check the URL")
        }
        ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTimeout
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable => {
            format!("{authority} is unreachable; try again later")
        }
        other => format!("{authority} failed: {other:?}"),
    }
}

fn tools() -> Vec<Tool> {
    vec![
        Tool::new("fetch", "Fetch a web page as text (up to 100 KiB)", fetch)
            .title("Fetch a URL")
            .read_only(true)
            .open_world(true),
    ]
}

moat_plugin_sdk::export!(tools);
