//! `/healthz` and `/readyz`, for load balancers and Kubernetes probes.
//!
//! Both answer without a credential (a probe carries none) and say nothing
//! about the plugins served: `ok`, `ready` or `not ready`, and the reason a
//! replica is not ready goes to its log. They are plain routes outside the
//! MCP endpoint, so they reveal no more than that moat listens there.
//!
//! - `/healthz`: 200 while the process serves HTTP. A liveness probe that
//!   fails means the process is stuck and should be restarted.
//! - `/readyz`: 200 when every plugin of the directory is served and the
//!   lock (under `--locked`) is satisfied ([`Readiness`]); 503 while plugins
//!   load, when one was refused, and once the process is draining.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;

use crate::plugins::readiness::Readiness;

/// The liveness path.
pub const HEALTHZ: &str = "/healthz";

/// The readiness path.
pub const READYZ: &str = "/readyz";

/// What the probes answer from.
pub struct Health {
    readiness: Option<Readiness>,
    draining: AtomicBool,
}

impl Health {
    /// Probes answering from `readiness` (`None`: ready once serving).
    pub fn new(readiness: Option<Readiness>) -> Arc<Self> {
        Arc::new(Self {
            readiness,
            draining: AtomicBool::new(false),
        })
    }

    /// From now on `/readyz` answers 503: the process is stopping.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    fn ready(&self) -> bool {
        !self.draining.load(Ordering::Relaxed)
            && self.readiness.as_ref().is_none_or(Readiness::ready)
    }
}

/// The two probe routes.
pub fn router(health: Arc<Health>) -> Router {
    Router::new()
        .route(HEALTHZ, get(|| async { plain(StatusCode::OK, "ok\n") }))
        .route(
            READYZ,
            get(move || async move {
                if health.ready() {
                    plain(StatusCode::OK, "ready\n")
                } else {
                    plain(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
                }
            }),
        )
}

/// A short text answer no cache keeps.
fn plain(status: StatusCode, text: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, text).into_response()
}
