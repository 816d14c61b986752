//! Whether this host is ready for traffic (`/readyz`): every plugin in its
//! directory is served, and under `--locked` every plugin the lock names.
//!
//! A replica that has not finished loading (a large component compiling for
//! the first time), or that refused a plugin (it failed to load, the lock
//! does not approve it, or it is missing), would answer some tools as
//! unknown while its peers serve them. Not ready, it gets no traffic from a
//! load balancer or Kubernetes, and a rollout of a bad plugin stops at the
//! first replica instead of replacing every good one.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::loader::Loader;
use super::registry::{LiveRegistry, wasm_files};

/// How long one answer stands. A probe is unauthenticated, so anyone who
/// reaches the port can ask: at most one directory listing per this long,
/// however fast they ask.
const FRESH_FOR: Duration = Duration::from_secs(1);

/// Decides readiness for one plugin directory.
pub struct Readiness {
    dir: PathBuf,
    registry: LiveRegistry,
    loader: Loader,
    last: Mutex<Option<(Instant, bool)>>,
}

impl Readiness {
    /// Readiness of the plugins in `dir`, served from `registry`, loaded by
    /// `loader` (whose lock, if any, must be satisfied).
    pub fn new(dir: &Path, registry: LiveRegistry, loader: Loader) -> Self {
        Self {
            dir: dir.to_owned(),
            registry,
            loader,
            last: Mutex::new(None),
        }
    }

    /// Whether every plugin is served; recomputed at most once a second.
    /// When it changes, the reasons are logged (the probe's answer says
    /// nothing about plugins).
    pub fn ready(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, ready)) = *last
            && at.elapsed() < FRESH_FOR
        {
            return ready;
        }
        let missing = self.missing();
        let ready = missing.is_empty();
        if last.is_none_or(|(_, was)| was != ready) {
            if ready {
                tracing::info!("ready: every plugin is served");
            } else {
                tracing::info!("not ready: not served: {}", missing.join(", "));
            }
        }
        *last = Some((Instant::now(), ready));
        ready
    }

    /// What should be served and is not: `.wasm` files in the directory,
    /// and plugins the lock names.
    fn missing(&self) -> Vec<String> {
        let registry = self.registry.current();
        let served: HashSet<&Path> = registry.plugins().iter().map(|p| p.path()).collect();
        let names: HashSet<&str> = registry.plugins().iter().map(|p| p.name()).collect();
        let mut missing = match wasm_files(&self.dir) {
            Ok(files) => files
                .iter()
                .filter(|file| !served.contains(file.as_path()))
                .map(|file| file.display().to_string())
                .collect(),
            Err(error) => vec![format!("{error:#}")],
        };
        if let Some(lock) = self.loader.lock() {
            let unserved = lock
                .names()
                .into_iter()
                .filter(|n| !names.contains(n.as_str()));
            missing.extend(unserved.map(|name| format!("{name} (locked)")));
        }
        missing
    }
}
