//! The accept loop: at most `max_connections` open at once, each with a
//! deadline for its request headers, served by hyper's HTTP/1.
//!
//! `axum::serve` accepts without limit and never times a connection out, so
//! a client that opens connections and sends nothing (or half a request)
//! holds a descriptor each until the host runs out of them. Here:
//!
//! - a connection's request headers must arrive within `header_timeout` of
//!   it being accepted, or of its previous response ending (hyper starts the
//!   timer whenever the connection waits for a request, so the same limit
//!   closes idle keep-alive connections); otherwise it is closed;
//! - at the cap, moat stops accepting: new connections wait in the kernel's
//!   listen backlog, first come first served, and each slot a closed or
//!   timed-out connection frees goes to the oldest waiting one. A stalling
//!   client thus holds a slot for at most `header_timeout`, and cannot jump
//!   the queue ahead of clients already waiting;
//! - a response the client stops reading (its writes make no progress for
//!   `write_timeout`) closes the connection, so a client cannot hold a slot
//!   by never reading what it asked for;
//! - when `stop` turns true, every connection closes after the response it
//!   is writing (an idle keep-alive one at once); the caller then drops
//!   this loop, and with it the listener, so that new connections are
//!   refused (see [`super::drain`]);
//! - `TCP_NODELAY` on every connection: rmcp answers in small SSE frames,
//!   which otherwise wait about 40 ms on Nagle's algorithm and the client's
//!   delayed ACK.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_io_timeout::TimeoutStream;

/// Limits on the connections of an HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers.
    pub header_timeout: Duration,
    /// How long a write to the client may make no progress.
    pub write_timeout: Duration,
}

/// How long to pause accepting after an accept error such as `EMFILE`: long
/// enough for descriptors to be freed, short enough not to be noticed.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Accepts connections on `listener` and serves `app` on each, until
/// dropped, each holding one of `slots` (`limits.max_connections` of them)
/// while open: the permits taken are the connections open. Once `stop`
/// turns true each connection closes after its current response.
pub async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    slots: Arc<Semaphore>,
    stop: watch::Receiver<bool>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let service = TowerToHyperService::new(app);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            unreachable!("the semaphore is never closed");
        };
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(error) => {
                tracing::warn!("cannot accept an HTTP connection: {error}");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
        let mut tcp = TimeoutStream::new(tcp);
        tcp.set_write_timeout(Some(limits.write_timeout));
        let connection = http.serve_connection(TokioIo::new(Box::pin(tcp)), service.clone());
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = stopping(&mut stop) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!("HTTP connection ended: {error}");
            }
            drop(slot);
        });
    }
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}
