//! Stopping without cutting anyone off: on SIGTERM (or SIGINT) the listener
//! closes, the requests in flight finish, and then the sessions end.
//!
//! A replica being replaced (a rollout, a scale-down, a node drained) is
//! sent SIGTERM, and a load balancer sends its new clients elsewhere once
//! it stops accepting. What it was already doing must not fail: a tool call
//! half-way through is a client's error, and possibly a side effect done
//! twice when the client retries. So:
//!
//! 0. `/readyz` answers 503, and for `--drain-delay` (default 0) moat goes
//!    on serving, so that load balancers, which notice by probing, stop
//!    sending it requests before it stops taking them (a request a balancer
//!    sends on a keep-alive connection just as moat closes it is lost);
//! 1. the listener is dropped: new connections are refused, and a load
//!    balancer retries them on another replica;
//! 2. every connection is told to close after its current response, and
//!    idle keep-alive ones close at once;
//! 3. requests in flight ([`InFlight`]) finish, up to `--drain-timeout`;
//! 4. sessions end, which ends their `GET` streams, and so do
//!    `subscriptions/listen` streams (streams never finish by themselves,
//!    so they are not counted as in flight; their clients reconnect);
//! 5. once every connection has closed (or the deadline passed) the process
//!    exits 0.

use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use memchr::memmem;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::sessions::CappedSessions;

/// Default `--drain-timeout`: longer than most tool calls take, and with
/// the time to end sessions, inside the 30 s Kubernetes waits after
/// SIGTERM before it kills a pod.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What is left to wind down once the listener has closed.
pub struct Drained {
    /// The requests being served.
    pub in_flight: InFlight,
    /// The sessions held.
    pub sessions: Arc<CappedSessions>,
    /// The connection slots; all free once every connection has closed.
    pub connections: Arc<Semaphore>,
    /// How many slots there are.
    pub max_connections: usize,
}

impl Drained {
    /// Steps 3 to 5 of the module's list, within `deadline`: waits for the
    /// requests in flight, ends the sessions and (by `close_streams`) the
    /// listen streams, then waits for the connections to close. Logs what
    /// the deadline cut off.
    pub async fn finish(self, deadline: Duration, close_streams: impl FnOnce()) {
        let until = Instant::now() + deadline;
        let waiting = self.in_flight.count();
        tracing::info!(
            "stopping: no new connections; waiting up to {} for {waiting} request(s) in flight",
            humantime::format_duration(deadline)
        );
        if tokio::time::timeout_at(until, self.in_flight.settled())
            .await
            .is_err()
        {
            tracing::warn!(
                "stopping: {} request(s) still in flight after --drain-timeout {}; cutting them off",
                self.in_flight.count(),
                humantime::format_duration(deadline)
            );
        }
        close_streams();
        self.sessions.close_all().await;
        let all = u32::try_from(self.max_connections).unwrap_or(u32::MAX);
        let until = until.max(Instant::now() + CLOSE_GRACE);
        let closed = tokio::time::timeout_at(until, self.connections.acquire_many(all)).await;
        if closed.is_err() {
            let open = self.max_connections - self.connections.available_permits();
            tracing::warn!(
                "stopping: {open} connection(s) still open at the deadline; closing them"
            );
        } else {
            tracing::info!("stopping: drained");
        }
    }
}

/// How long connections have to close once sessions end, if the deadline is
/// nearer: a stream ended must still reach its client.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// The requests being served, streams aside.
#[derive(Clone)]
pub struct InFlight(Arc<watch::Sender<usize>>);

impl Default for InFlight {
    fn default() -> Self {
        Self(Arc::new(watch::channel(0).0))
    }
}

impl InFlight {
    /// Counts one more request until the [`Entered`] is dropped.
    pub fn enter(&self) -> Entered {
        self.0.send_modify(|n| *n += 1);
        Entered(self.0.clone())
    }

    /// How many requests are in flight.
    pub fn count(&self) -> usize {
        *self.0.borrow()
    }

    /// Resolves when no request is in flight.
    pub async fn settled(&self) {
        let mut count = self.0.subscribe();
        // The sender lives as long as `self`.
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// One request's place in the count.
pub struct Entered(Arc<watch::Sender<usize>>);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// Whether a request body opens a `subscriptions/listen` stream, which
/// never finishes by itself and so is not waited for. A body that merely
/// mentions the method elsewhere is looked at closer; one that does not
/// parse is not a stream.
pub fn opens_stream(body: &Bytes) -> bool {
    #[derive(serde::Deserialize)]
    struct Method<'a> {
        #[serde(borrow)]
        method: Option<&'a str>,
    }
    // Built once: the searcher for the method's name, which most bodies
    // (every `tools/call`) do not hold, so most bodies are ruled out by it.
    static LISTEN: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new("subscriptions/listen"));
    LISTEN.find(body).is_some()
        && serde_json::from_slice::<Method>(body)
            .is_ok_and(|m| m.method == Some("subscriptions/listen"))
}

/// `response`, whose request stays counted until its body has been sent
/// (or the client went away).
pub fn hold_until_sent(response: Response, entered: Entered) -> Response {
    response.map(|body| {
        Body::new(Held {
            body,
            _entered: entered,
        })
    })
}

/// A body that holds its request's place in the count.
struct Held {
    body: Body,
    _entered: Entered,
}

impl http_body::Body for Held {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_listen_request_opens_a_stream() {
        let listen = r#"{"jsonrpc":"2.0","id":1,"method":"subscriptions/listen","params":{}}"#;
        assert!(opens_stream(&Bytes::from(listen)));
        let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"subscriptions/listen"}}}"#;
        assert!(!opens_stream(&Bytes::from(call)));
        assert!(!opens_stream(&Bytes::from("subscriptions/listen")));
    }

    #[tokio::test]
    async fn the_count_settles_when_every_request_is_done() {
        let in_flight = InFlight::default();
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert_eq!(in_flight.count(), 2);
        drop(first);
        let settled = tokio::spawn({
            let in_flight = in_flight.clone();
            async move { in_flight.settled().await }
        });
        tokio::task::yield_now().await;
        assert!(!settled.is_finished());
        drop(second);
        settled.await.unwrap();
        assert_eq!(in_flight.count(), 0);
    }
}
