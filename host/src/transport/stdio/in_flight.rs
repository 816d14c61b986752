//! The requests of a stdio connection that have not been answered yet, and
//! the budget that bounds them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};

use rmcp::model::RequestId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Requests a stdio client may have in flight at once: read but not yet
/// answered, the answer included until it is written to stdout (default 64).
/// A request also counts once more for each whole MiB it carries, so at most
/// about 64 MiB of requests wait at once. When the budget is spent, moat
/// stops reading stdin until an answer is written: a client that pipelines
/// requests without reading its answers (or sends them faster than they
/// run) cannot make the host buffer without bound. Notifications and the
/// client's responses are read meanwhile: they take nothing from the budget.
pub const MAX_IN_FLIGHT: usize = 64;

/// What each request's bytes add to its cost, per [`MAX_IN_FLIGHT`].
const BYTES_PER_SLOT: usize = 1 << 20;

/// How much of the budget a request of `bytes` bytes takes.
pub fn cost(bytes: usize) -> u32 {
    let slots = 1 + bytes / BYTES_PER_SLOT;
    u32::try_from(slots.min(MAX_IN_FLIGHT)).unwrap_or(u32::MAX)
}

/// The requests in flight, by id, each holding its share of the budget.
#[derive(Debug, Clone)]
pub struct InFlight {
    budget: Arc<Semaphore>,
    requests: Arc<Mutex<HashMap<RequestId, OwnedSemaphorePermit>>>,
}

impl InFlight {
    /// An empty table with the whole budget.
    pub fn new() -> Self {
        Self {
            budget: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            requests: Arc::default(),
        }
    }

    /// Waits for `cost` of the budget. Cancel-safe: dropping the future
    /// takes nothing.
    pub async fn reserve(&self, cost: u32) -> OwnedSemaphorePermit {
        self.budget
            .clone()
            .acquire_many_owned(cost)
            .await
            .expect("the budget is never closed")
    }

    /// Whether a request with this id is in flight.
    pub fn contains(&self, id: &RequestId) -> bool {
        self.lock().contains_key(id)
    }

    /// Records the request `id`, holding `permit` until it is answered.
    /// Returns the permit back if `id` is already in flight.
    pub fn start(
        &self,
        id: RequestId,
        permit: OwnedSemaphorePermit,
    ) -> Result<(), OwnedSemaphorePermit> {
        match self.lock().entry(id) {
            Entry::Occupied(_) => Err(permit),
            Entry::Vacant(entry) => {
                entry.insert(permit);
                Ok(())
            }
        }
    }

    /// Forgets the request `id`, answered or cancelled; its share of the
    /// budget returns when the permit is dropped (once the answer is written).
    pub fn finish(&self, id: &RequestId) -> Option<OwnedSemaphorePermit> {
        self.lock().remove(id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, OwnedSemaphorePermit>> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for InFlight {
    fn default() -> Self {
        Self::new()
    }
}
