//! Fresh instances of one plugin, one made ahead of time.
//!
//! Every request runs in an instance nothing has run in before, and the
//! instance is thrown away after it: no state passes from one request (or
//! one client) to the next. Making and dropping an instance costs about as
//! much as the call itself, so neither happens on the request's path when it
//! can be helped: after a request, a background task drops the used instance
//! and makes a *spare* (a new store, instantiated, no export called), which
//! the next request takes. A request that finds no spare (the first, or one
//! of several at once) makes its own, as before.
//!
//! The spare is made under the plugin's own limits: its memory limit, and
//! its timeout as the deadline for instantiation, so a component whose start
//! function never returns cannot hold a core in the background. A plugin
//! that has served a request keeps one spare (its memory slot and the pages
//! instantiation touched); one that never served a request keeps none.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::time::Instant;
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};

use super::exports::Exports;
use super::state::CallState;
use crate::sandbox::Sandbox;

/// How one plugin's instances are made and run: the linked component, what
/// it exports, its sandbox, its concurrency slots, and its spare.
pub struct Instances {
    name: Arc<str>,
    pre: InstancePre<CallState>,
    exports: Exports,
    sandbox: Sandbox,
    slots: Semaphore,
    spare: Mutex<Option<Fresh>>,
    /// A background task is making the spare.
    filling: AtomicBool,
}

/// An instantiated store that has run nothing yet.
pub struct Fresh {
    /// The store, granted what the sandbox grants.
    pub store: Store<CallState>,
    /// The component's instance in it.
    pub instance: Instance,
}

impl Instances {
    /// Instances of `pre` (which exports `exports`), named `name`, granted
    /// what `sandbox` grants, at most `max_concurrency` at once.
    pub fn new(
        name: Arc<str>,
        pre: InstancePre<CallState>,
        exports: Exports,
        sandbox: Sandbox,
    ) -> Self {
        Self {
            slots: Semaphore::new(sandbox.limits().max_concurrency as usize),
            name,
            pre,
            exports,
            sandbox,
            spare: Mutex::new(None),
            filling: AtomicBool::new(false),
        }
    }

    /// The linked component.
    pub fn pre(&self) -> &InstancePre<CallState> {
        &self.pre
    }

    /// What the plugin is granted, and its limits.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The contract's interfaces the component exports.
    pub fn exports(&self) -> &Exports {
        &self.exports
    }

    /// Whether an answer of `size` bytes is within the plugin's `max_output`.
    pub fn check_output(&self, size: usize) -> Result<(), super::CallError> {
        let limit = self.sandbox.limits().max_output;
        if size > limit {
            return Err(super::CallError::Output {
                plugin: self.name.clone(),
                size,
                limit,
            });
        }
        Ok(())
    }

    /// The plugin's name.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    /// How many of the concurrency slots are taken now: the runs in
    /// progress.
    pub fn in_use(&self) -> usize {
        let max = self.sandbox.limits().max_concurrency as usize;
        max.saturating_sub(self.slots.available_permits())
    }

    /// One slot per call that may run at once.
    pub(super) fn slots(&self) -> &Semaphore {
        &self.slots
    }

    /// The spare, if one is ready.
    pub(super) fn take_spare(&self) -> Option<Fresh> {
        self.spare().take()
    }

    /// The spare's slot. The lock is held only to look, take or put.
    fn spare(&self) -> std::sync::MutexGuard<'_, Option<Fresh>> {
        self.spare.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new store, not yet instantiated, whose calls stop at `deadline`.
    pub(super) fn store(&self, deadline: Instant) -> wasmtime::Result<Store<CallState>> {
        let state = CallState::new(self.name.clone(), &self.sandbox, deadline)?;
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| state.limiter());
        // Check in at every epoch tick: trap once the deadline has passed,
        // otherwise yield so that a long computation shares its thread.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| {
            Ok(if Instant::now() >= store.data().deadline() {
                wasmtime::UpdateDeadline::Interrupt
            } else {
                wasmtime::UpdateDeadline::Yield(1)
            })
        });
        Ok(store)
    }

    /// Drops `used` and makes the next spare, both in a background task, so
    /// that neither delays the answer.
    pub(super) fn recycle(self: &Arc<Self>, used: Store<CallState>) {
        let instances = Arc::clone(self);
        tokio::spawn(async move {
            drop(used);
            instances.fill().await;
        });
    }

    /// Makes the spare, unless there is one or one is being made.
    async fn fill(&self) {
        if self.spare().is_some() || self.filling.swap(true, Ordering::AcqRel) {
            return;
        }
        match self.make().await {
            Ok(fresh) => *self.spare() = Some(fresh),
            // The next request makes its own instance and reports the problem.
            Err(error) => tracing::debug!(plugin = &*self.name, "no spare instance: {error:#}"),
        }
        self.filling.store(false, Ordering::Release);
    }

    /// A fresh instance, made under the plugin's timeout.
    async fn make(&self) -> wasmtime::Result<Fresh> {
        let deadline = Instant::now() + self.sandbox.limits().timeout;
        let mut store = self.store(deadline)?;
        let instance = tokio::time::timeout_at(deadline, self.pre.instantiate_async(&mut store))
            .await
            .map_err(|_| wasmtime::Error::msg("instantiation timed out"))??;
        Ok(Fresh { store, instance })
    }
}
