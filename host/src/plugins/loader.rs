//! Loading plugins for serving: compiled on the runtime and, under
//! `--locked`, admitted only if the lock approves their tools. Several
//! plugins load at once, so that one slow plugin holds up no other.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::error::LoadError;
use super::lock::Locked;
use super::plugin::LoadedPlugin;
use crate::observe::{Event, Observer};
use crate::runtime::Runtime;

/// What every load for serving goes through: at start, on reload and in
/// `moat dev`.
#[derive(Clone)]
pub struct Loader {
    runtime: Runtime,
    lock: Option<Arc<Locked>>,
    observer: Observer,
    strict: bool,
}

impl Loader {
    /// Loads on `runtime`, refusing plugins that `lock` (if any) does not
    /// approve.
    pub fn new(runtime: Runtime, lock: Option<Locked>) -> Self {
        Self {
            runtime,
            lock: lock.map(Arc::new),
            observer: Observer::default(),
            strict: false,
        }
    }

    /// The same loader, reporting every load and refusal to `observer`.
    pub fn with_observer(self, observer: Observer) -> Self {
        Self { observer, ..self }
    }

    /// Where loads, reloads and refusals are reported.
    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// Under `strict` (`moat serve --strict`), refuses every plugin whose
    /// definitions raise a lint finding of severity error.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The engine plugins are compiled and run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The lock in force, under `--locked`.
    pub fn lock(&self) -> Option<&Locked> {
        self.lock.as_deref()
    }

    /// Loads the plugin at `path`; see [`LoadedPlugin::load`]. A refusal is
    /// reported to the observer.
    pub async fn load(&self, path: &Path) -> Result<LoadedPlugin, LoadError> {
        let admitted = self.admit(LoadedPlugin::load(&self.runtime, path).await);
        if let Err(error) = &admitted {
            self.report_refused(path, error);
        }
        admitted
    }

    /// Reports to the observer that the plugin at `path` was refused, as
    /// [`Self::load`] does; for a refusal decided beside the other plugins
    /// (the lint's shadowing rule, see `Registry::admit_lint`).
    pub fn report_refused(&self, path: &Path, error: &LoadError) {
        let reason = error.to_string();
        self.observer.event(&Event::Refused {
            path,
            reason: &reason,
        });
    }

    /// `loaded`, unless `--strict` refuses its lint findings or the lock
    /// refuses its definitions.
    fn admit(&self, loaded: Result<LoadedPlugin, LoadError>) -> Result<LoadedPlugin, LoadError> {
        let mut plugin = loaded?;
        if self.strict {
            plugin.lint.make_strict();
            plugin.refuse_if_strict(&plugin.lint.review(&[]))?;
        }
        match &self.lock {
            Some(lock) => lock.admit(plugin),
            None => Ok(plugin),
        }
    }
}

/// How many plugins load at once: the number of cores, at least 2 and at
/// most 8. Compiling is CPU-bound, so more would not load faster; each
/// plugin loading holds its compiled code and an instance's memory, and an
/// unbounded number at once added 10-15 MB of resident memory for no gain.
/// At least 2, so that one plugin slow to list (up to its load budget)
/// never holds up the rest.
fn concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

impl Loader {
    /// Starts loading every plugin in `paths`, [`concurrency`] at a time.
    pub fn start(&self, paths: Vec<PathBuf>) -> Loads {
        let permits = Arc::new(Semaphore::new(concurrency()));
        let mut loads = JoinSet::new();
        for path in paths {
            let loader = self.clone();
            let permits = permits.clone();
            loads.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let loaded = loader.load(&path).await;
                (path, loaded)
            });
        }
        Loads(loads)
    }

    /// Loads every plugin in `paths`, [`concurrency`] at a time; returns each
    /// path with its outcome, sorted by path. A load that panics is logged
    /// and left out.
    pub async fn load_all(
        &self,
        paths: Vec<PathBuf>,
    ) -> Vec<(PathBuf, Result<LoadedPlugin, LoadError>)> {
        let mut loads = self.start(paths);
        let mut done = Vec::new();
        while let Some(outcome) = loads.next().await {
            done.push(outcome);
        }
        done.sort_by(|a, b| a.0.cmp(&b.0));
        done
    }
}

/// Plugins loading (see [`Loader::start`]), handed over as each finishes.
pub struct Loads(JoinSet<(PathBuf, Result<LoadedPlugin, LoadError>)>);

impl Loads {
    /// The next load to finish, with its path; `None` once all have. A load
    /// that panics is logged and skipped. Cancel-safe: a load is never lost
    /// by dropping this future.
    pub async fn next(&mut self) -> Option<(PathBuf, Result<LoadedPlugin, LoadError>)> {
        loop {
            match self.0.join_next().await? {
                Ok(outcome) => return Some(outcome),
                Err(error) => tracing::error!("loading a plugin failed: {error}"),
            }
        }
    }

    /// How many loads have not finished.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether every load has finished.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
