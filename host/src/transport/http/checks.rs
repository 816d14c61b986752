//! What every HTTP request passes before rmcp sees it, in one middleware
//! ([`guard`]) so that a request pays for one layer: a single `Host`, the
//! bearer token, a deadline for the body, and the session caps.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use subtle::ConstantTimeEq as _;

use tracing::Instrument as _;

use super::admission::{Admission, Admitted};
use super::drain::{self, InFlight};
use super::sessions::{self, CappedSessions, Owner};
use crate::access::Charged;
use crate::auth::{Challenge, Fault, Identity, OAuth, metadata};
use crate::observe::trace::{self, TransportSpan};
use crate::transport::stdio::classify::{Line, classify};

/// The header a session's requests carry.
const SESSION_HEADER: &str = "mcp-session-id";

/// The bearer token clients must present, and the owner its sessions are
/// counted under.
#[derive(Clone)]
pub struct Token {
    /// The token's text.
    pub secret: Arc<str>,
    /// Whom requests with this token act for.
    pub owner: Owner,
}

/// What [`guard`] checks against.
#[derive(Clone)]
pub struct Guard {
    /// The token every request must carry, if any.
    pub token: Option<Token>,
    /// With `--auth`: the OAuth resource server every request but the
    /// metadata's must satisfy.
    pub oauth: Option<Arc<OAuth>>,
    /// With `--auth`: the challenges refusals carry.
    pub challenge: Option<Arc<Challenge>>,
    /// How long a request's body may take to arrive, after its headers.
    pub body_timeout: Duration,
    /// The largest request body accepted, in bytes (rmcp's limit).
    pub max_body: usize,
    /// The policy and rate limits, decided once the body is read (`None`
    /// on the metrics listener, which serves no plugin).
    pub admission: Option<Admission>,
    /// The sessions, to check that a request's session is its own (none
    /// on a listener that serves no MCP).
    pub sessions: Option<Arc<CappedSessions>>,
    /// The requests in flight, which a drain waits for (none on a listener
    /// that serves no MCP).
    pub in_flight: Option<InFlight>,
}

/// Checks a request and, if it passes, hands it on; with `--otlp`, in a
/// span for the HTTP request, which the handler's span is a child of.
pub async fn guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let mut request = request;
    if trace::on() {
        let route = match request.uri().path() {
            super::PATH => super::PATH,
            super::METRICS_PATH => super::METRICS_PATH,
            _ => "other",
        };
        let span = trace::http_request(request.method(), route);
        request.extensions_mut().insert(TransportSpan(span.clone()));
        let response = checked(guard, request, next).instrument(span.clone()).await;
        span.record(
            "http.response.status_code",
            i64::from(response.status().as_u16()),
        );
        return response;
    }
    checked(guard, request, next).await
}

async fn checked(guard: Arc<Guard>, request: Request, next: Next) -> Response {
    // A `GET` opens a stream, which a drain does not wait for.
    let mut entered = match &guard.in_flight {
        Some(in_flight) if request.method() != Method::GET => Some(in_flight.enter()),
        _ => None,
    };
    let response = checks(&guard, request, next, &mut entered).await;
    match entered {
        Some(entered) => drain::hold_until_sent(response, entered),
        None => response,
    }
}

/// The checks of [`checked`]; a request found to open a stream gives up
/// its place in `entered`.
async fn checks(
    guard: &Guard,
    request: Request,
    next: Next,
    entered: &mut Option<drain::Entered>,
) -> Response {
    let mut request = request;
    if let Some(refusal) = single_host(&mut request) {
        return refusal;
    }
    let (owner, identity) = match (&guard.oauth, &guard.token) {
        (Some(_), _) if request.uri().path().starts_with(metadata::WELL_KNOWN) => {
            return next.run(request).await;
        }
        (Some(oauth), _) => match oauth.authenticate(request.headers()).await {
            Ok(identity) => (Some(identity.name.clone()), identity),
            Err(fault) => return refuse(guard.challenge.as_deref(), &fault),
        },
        (None, Some(token)) => match check_token(token, &request) {
            None => (Some(token.owner.clone()), Identity::shared_token()),
            Some(refusal) => return refusal,
        },
        (None, None) => (None, Identity::anonymous()),
    };
    request.extensions_mut().insert(identity.clone());
    // Before the body is read or anything is counted: a session is only
    // its creator's. Only OAuth tells callers apart (without it every
    // request acts for the same identity), so only then is it looked up.
    let session = request.headers().get(SESSION_HEADER);
    if let Some(id) = session.and_then(|id| id.to_str().ok())
        && guard.oauth.is_some()
        && let Some(sessions) = &guard.sessions
        && !sessions.may_use(id, owner.as_ref())
    {
        tracing::warn!(identity = %identity.name, "refused a request on a session another identity holds");
        return (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
    }
    let method = request.method().clone();
    let (request, body) = if method == Method::POST {
        match read_body(request, guard.body_timeout, guard.max_body).await {
            Ok((mut request, body)) => match admit(guard, &identity, &mut request, &body) {
                None => (request, Some(body)),
                Some(response) => return response,
            },
            Err(response) => return response,
        }
    } else {
        (request, None)
    };
    if body.as_ref().is_some_and(drain::opens_stream) {
        *entered = None;
    }
    let has_session = request.headers().contains_key(SESSION_HEADER);
    let sent = body.clone();
    let response = match (method, has_session) {
        // What may create a session, open a stream, or end a session.
        (Method::POST, false) | (Method::GET, true) | (Method::DELETE, true) => {
            sessions::scoped(owner, body, next.run(request)).await
        }
        _ => next.run(request).await,
    };
    match sent {
        Some(body) if response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            unreadable(&body).unwrap_or(response)
        }
        _ => response,
    }
}

/// The admission step (see [`Admission`]): the 403 or 429, or the request,
/// marked [`Charged`] if its calls were counted against the rate limits.
fn admit(
    guard: &Guard,
    identity: &Identity,
    request: &mut Request,
    body: &Bytes,
) -> Option<Response> {
    match guard.admission.as_ref()?.admit(identity, body) {
        Admitted::Refused(response) => Some(response),
        Admitted::Passed { charged } => {
            if charged {
                request.extensions_mut().insert(Charged);
            }
            None
        }
    }
}

/// What a body rmcp could not read as JSON-RPC gets instead of rmcp's bare
/// 415: the JSON-RPC error the stdio transport would write for the same
/// line, with 400 (`-32700`, `-32600` naming the bad id, `-32602` for
/// params that are not an object), or 202 for a notification or response,
/// which JSON-RPC forbids answering. `None` when the body is a message after
/// all (rmcp refused something else, e.g. the `Content-Type`).
fn unreadable(body: &Bytes) -> Option<Response> {
    match classify(body) {
        Line::Reply(reply) => {
            let json = [(header::CONTENT_TYPE, "application/json")];
            Some((StatusCode::BAD_REQUEST, json, reply.to_line()).into_response())
        }
        Line::Ignored(why) => {
            tracing::debug!("ignored an HTTP message: {why}");
            Some(StatusCode::ACCEPTED.into_response())
        }
        Line::Message(_) | Line::Blank => None,
    }
}

/// A 400 for a request with more than one `Host` (RFC 9112 §3.2), since
/// rmcp would check only the first. For an absolute-form target, whose
/// authority the server must use instead of `Host` (§3.2.2), makes `Host`
/// that authority, so that it is what rmcp checks.
fn single_host(request: &mut Request) -> Option<Response> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    if hosts.next().is_some() && hosts.next().is_some() {
        tracing::warn!("refused an HTTP request with more than one Host header");
        let message = "Bad Request: more than one Host header";
        return Some((StatusCode::BAD_REQUEST, message).into_response());
    }
    let target = request.uri().authority().map(|a| a.as_str().to_owned());
    if let Some(target) = target {
        let Ok(host) = HeaderValue::try_from(target) else {
            return Some((StatusCode::BAD_REQUEST, "Bad Request: invalid target").into_response());
        };
        request.headers_mut().insert(header::HOST, host);
    }
    None
}

/// A 401, unless the request carries `Authorization: Bearer TOKEN`.
fn check_token(token: &Token, request: &Request) -> Option<Response> {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented {
        Some(presented) if bool::from(presented.as_bytes().ct_eq(token.secret.as_bytes())) => None,
        _ => {
            let problem = if presented.is_some() {
                "the bearer token is wrong"
            } else {
                "this server requires `Authorization: Bearer TOKEN`"
            };
            tracing::warn!("refused an HTTP request: {problem}");
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
            Some((StatusCode::UNAUTHORIZED, challenge, problem).into_response())
        }
    }
}

/// The 401 for a request that proves no identity: the challenge (with
/// `error` and its description when a token was presented), and the reason
/// in the body. Logged without the token.
fn refuse(challenge: Option<&Challenge>, fault: &Fault) -> Response {
    let why = fault.message();
    tracing::warn!("refused an HTTP request: {why}");
    let value = match (challenge, fault) {
        (None, _) => HeaderValue::from_static("Bearer"),
        (Some(challenge), Fault::Missing(_)) => challenge.unauthorized(None),
        (Some(challenge), Fault::Malformed(_)) => challenge.unauthorized(Some("invalid_request")),
        (Some(challenge), Fault::Invalid(_) | Fault::Unreachable(_)) => {
            challenge.invalid_token(why)
        }
    };
    let headers = [(header::WWW_AUTHENTICATE, value)];
    (
        StatusCode::UNAUTHORIZED,
        headers,
        format!("Unauthorized: {why}"),
    )
        .into_response()
}

/// Reads the whole body within `timeout` of the headers, and at most `max`
/// bytes of it: a client that sends a body slowly, or stops half-way, holds
/// a connection and its memory for no longer than that (408, and the
/// connection is closed). A body already here costs no timer. Returns the
/// request, and its body (shared, not copied).
async fn read_body(
    request: Request,
    timeout: Duration,
    max: usize,
) -> Result<(Request, Bytes), Response> {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Ok(Ok(collected)) => {
            let body = collected.to_bytes();
            Ok((Request::from_parts(parts, Body::from(body.clone())), body))
        }
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: request body exceeds {max} bytes"),
        )
            .into_response()),
        Ok(Err(error)) => Err((
            StatusCode::BAD_REQUEST,
            format!("Bad Request: the body failed: {error}"),
        )
            .into_response()),
        Err(_) => {
            let wait = humantime::format_duration(timeout);
            tracing::warn!("closed an HTTP request whose body took over {wait}");
            let message = format!(
                "Request Timeout: the body did not arrive within {wait} of the headers (--http-body-timeout {wait})"
            );
            let close = [(header::CONNECTION, "close")];
            Err((StatusCode::REQUEST_TIMEOUT, close, message).into_response())
        }
    }
}
