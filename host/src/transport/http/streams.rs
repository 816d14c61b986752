//! A count of the SSE streams clients hold open with `GET`.
//!
//! A session's `GET` stream stays open as long as its client likes (rmcp
//! keeps it alive with pings, and allows any number per session), and each
//! holds a connection. Unbounded, a few sessions could hold every connection
//! slot and keep every other client out for good. [`StreamSlots`] lets open
//! streams take at most half of `--max-connections`, so the other half is
//! always there for requests, which end.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_core::Stream;
use rmcp::transport::streamable_http_server::session::ServerSseMessage;

/// The open `GET` streams, and how many may be.
pub struct StreamSlots {
    open: Arc<AtomicUsize>,
    max: usize,
}

impl StreamSlots {
    /// At most `max` streams open at once.
    pub fn new(max: usize) -> Self {
        Self {
            open: Arc::default(),
            max,
        }
    }

    /// The most streams open at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// A slot for one more stream, or `None` if all are taken.
    pub fn take(&self) -> Option<Slot> {
        self.open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max).then_some(open + 1)
            })
            .ok()?;
        Some(Slot(self.open.clone()))
    }
}

/// One open stream's place in the count; given back when dropped.
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A stream that holds its [`Slot`] until the client goes away.
pub struct Counted {
    stream: Pin<Box<dyn Stream<Item = ServerSseMessage> + Send + Sync>>,
    _slot: Slot,
}

impl Counted {
    /// `stream`, counted in `slot`.
    pub fn new(
        stream: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
        slot: Slot,
    ) -> Self {
        Self {
            stream: Box::pin(stream),
            _slot: slot,
        }
    }
}

impl Stream for Counted {
    type Item = ServerSseMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}
