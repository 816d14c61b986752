//! `moat serve --watch`: reload plugins as their files change.
//!
//! Events are debounced, so the several writes of an editor's save, a `cp`
//! or an atomic rename settle into one reload. Each changed plugin is
//! compiled off the request path; only then is the registry swapped, whole.
//! A file that fails to load (half-written, broken, a bad manifest, refused
//! by the lock) leaves the previous version serving and the error in the log.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::Loader;
use super::registry::{LiveRegistry, wasm_files};
use crate::observe::Event as Observed;

/// How long watched files must be quiet before a change is acted on.
pub const SETTLE: Duration = Duration::from_millis(250);

/// Changes to watched files, delivered in settled batches.
pub struct Changes {
    _watcher: RecommendedWatcher,
    received: mpsc::UnboundedReceiver<Vec<PathBuf>>,
}

impl Changes {
    /// Watches `paths`, each with its own recursion.
    pub fn watch(paths: &[(&Path, RecursiveMode)]) -> anyhow::Result<Self> {
        let (changes, received) = mpsc::unbounded_channel::<Vec<PathBuf>>();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<Event>| match event {
                Ok(event) if is_write(&event.kind) => {
                    let _ = changes.send(event.paths);
                }
                Ok(_) => {}
                Err(error) => tracing::error!("watching for changes failed: {error}"),
            })
            .context("cannot start watching files")?;
        for (path, mode) in paths {
            watcher
                .watch(path, *mode)
                .with_context(|| format!("cannot watch {}", path.display()))?;
        }
        Ok(Self {
            _watcher: watcher,
            received,
        })
    }

    /// Waits for a change, then gathers every change until the files have
    /// been quiet for [`SETTLE`]; returns the paths that changed.
    pub async fn settled(&mut self) -> BTreeSet<PathBuf> {
        let mut paths: BTreeSet<PathBuf> = BTreeSet::new();
        // The sender lives in the watcher, which lives in `self`.
        paths.extend(self.received.recv().await.unwrap_or_default());
        while let Ok(Some(more)) = tokio::time::timeout(SETTLE, self.received.recv()).await {
            paths.extend(more);
        }
        paths
    }
}

/// Keeps the plugin directory watched while it lives.
pub struct Watch(JoinHandle<()>);

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Watches `dir` and reloads into `registry`, calling `lists_changed` (which
/// tells the clients) when the served lists change. Under `--locked`, a new
/// lock file is taken up as soon as it is written.
pub fn watch<F, Told>(
    dir: &Path,
    loader: Loader,
    registry: LiveRegistry,
    lists_changed: F,
) -> anyhow::Result<Watch>
where
    F: Fn() -> Told + Send + 'static,
    Told: Future<Output = ()> + Send,
{
    let mut watched = vec![(dir, RecursiveMode::NonRecursive)];
    let lock_dir = loader.lock().and_then(|lock| lock.path().parent());
    if let Some(lock_dir) = lock_dir.filter(|lock_dir| *lock_dir != dir) {
        watched.push((lock_dir, RecursiveMode::NonRecursive));
    }
    let mut changes = Changes::watch(&watched)?;
    let dir = dir.to_owned();
    Ok(Watch(tokio::spawn(async move {
        loop {
            let paths = changes.settled().await;
            let mut wasm_files = plugin_files(&paths);
            let mut changed = false;
            if let Some(lock) = loader.lock().filter(|lock| paths.contains(lock.path())) {
                match lock.reread() {
                    Ok(()) => {
                        tracing::info!("read the new lock {}", lock.path().display());
                        report_lock(&loader, lock.path());
                        changed |= withdraw_unapproved(&loader, &registry);
                        // Plugins the old lock refused may be approved now.
                        wasm_files.extend(unserved(&dir, &registry));
                    }
                    Err(error) => tracing::error!("kept the previous lock: {error}"),
                }
            }
            changed |= reload(&loader, &registry, wasm_files).await;
            if changed {
                lists_changed().await;
            }
        }
    })))
}

/// Whether an event may have changed a file's contents or existence. Reads
/// (which loading a plugin itself causes) are not.
fn is_write(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Modify(_)
            | EventKind::Remove(_)
            | EventKind::Access(AccessKind::Close(AccessMode::Write))
    )
}

/// The `NAME.wasm` of each plugin whose component or manifest changed.
fn plugin_files(paths: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    paths
        .iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "wasm" || ext == "toml")
        })
        .map(|path| path.with_extension("wasm"))
        .collect()
}

/// The plugin files in `dir` that are not being served.
fn unserved(dir: &Path, live: &LiveRegistry) -> Vec<PathBuf> {
    let current = live.current();
    let files = wasm_files(dir).unwrap_or_else(|error| {
        tracing::error!("{error:#}");
        Vec::new()
    });
    files
        .into_iter()
        .filter(|path| !current.plugins().iter().any(|p| p.path() == path))
        .collect()
}

/// Withdraws every served plugin that the lock no longer approves; returns
/// whether the served tool list changed.
fn withdraw_unapproved(loader: &Loader, live: &LiveRegistry) -> bool {
    let Some(lock) = loader.lock() else {
        return false;
    };
    let mut changed = false;
    for plugin in live.current().plugins() {
        if let Err(refusal) = lock.admit_served(plugin) {
            tracing::error!("withdrew {refusal}");
            let reason = refusal.to_string();
            let path = plugin.path();
            loader.observer().event(&Observed::Refused {
                path,
                reason: &reason,
            });
            changed |= live.replace(live.current().without(plugin.path()).0);
        }
    }
    changed
}

/// Reloads each plugin in `wasm_files` and swaps the registry; returns
/// whether the served tool list changed.
async fn reload(loader: &Loader, live: &LiveRegistry, wasm_files: BTreeSet<PathBuf>) -> bool {
    let mut changed = false;
    // Compiled and listed several at once; swapped in one by one, in order.
    let present = wasm_files.iter().filter(|path| path.is_file()).cloned();
    let mut loaded: BTreeMap<PathBuf, _> = loader
        .load_all(present.collect())
        .await
        .into_iter()
        .collect();
    for path in wasm_files {
        let current = live.current();
        let served = current.plugins().iter().any(|p| p.path() == path);
        let (next, collisions) = if let Some(outcome) = loaded.remove(&path) {
            // The lint's shadowing rule needs the other plugins served now.
            let outcome = outcome.and_then(|plugin| {
                let review = current
                    .admit_lint(&plugin)
                    .inspect_err(|error| loader.report_refused(&path, error))?;
                review.log(plugin.name());
                Ok(plugin)
            });
            match outcome {
                Ok(plugin) => {
                    let verb = if served { "reloaded" } else { "loaded" };
                    let tools: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_ref()).collect();
                    tracing::info!("{verb} {}: {}", path.display(), tools.join(", "));
                    let (plugin_name, digest, tools) =
                        (plugin.name(), plugin.digest(), tools.len());
                    loader.observer().event(&if served {
                        Observed::Reloaded {
                            plugin: plugin_name,
                            path: &path,
                            digest,
                            tools,
                        }
                    } else {
                        Observed::Loaded {
                            plugin: plugin_name,
                            path: &path,
                            digest,
                            tools,
                        }
                    });
                    current.with(plugin)
                }
                Err(error) if served => {
                    tracing::error!("kept the previous version: {error}");
                    continue;
                }
                Err(error) => {
                    tracing::error!("not loaded: {error}");
                    continue;
                }
            }
        } else if served && !path.is_file() {
            tracing::info!("withdrew {}", path.display());
            if let Some(plugin) = current.plugins().iter().find(|p| p.path() == path) {
                let plugin = plugin.name();
                loader.observer().event(&Observed::Removed {
                    plugin,
                    path: &path,
                });
            }
            current.without(&path)
        } else {
            continue;
        };
        for collision in &collisions {
            tracing::error!("{collision}");
        }
        changed |= live.replace(next);
    }
    changed
}

/// Reports the lock at `path`, as now in force, to the observer.
pub(super) fn report_lock(loader: &Loader, path: &Path) {
    if !loader.observer().is_on() {
        return;
    }
    let digest = match std::fs::read(path) {
        Ok(bytes) => format!(
            "sha256:{:x}",
            <sha2::Sha256 as sha2::Digest>::digest(&bytes)
        ),
        Err(error) => format!("unreadable: {error}"),
    };
    loader.observer().event(&Observed::LockChanged {
        path,
        digest: &digest,
    });
}

/// Reloads what changed in `dir` without being told which files: new
/// plugin files, removed ones, and those whose component's digest differs
/// from the one served. For a replica another replica told that the
/// plugins changed (`--redis`): on a shared volume (NFS, a Kubernetes
/// volume written from another node) inotify does not see writes made
/// elsewhere. Returns whether the served lists changed. A manifest changed
/// alone is not seen (its plugin's digest is the component's).
pub async fn rescan(dir: &Path, loader: &Loader, registry: &LiveRegistry) -> bool {
    let mut files: BTreeSet<PathBuf> = unserved(dir, registry).into_iter().collect();
    for plugin in registry.current().plugins() {
        let path = plugin.path();
        let changed = match std::fs::read(path) {
            Ok(bytes) => {
                let digest = format!(
                    "sha256:{:x}",
                    <sha2::Sha256 as sha2::Digest>::digest(&bytes)
                );
                digest != **plugin.digest()
            }
            Err(_) => true,
        };
        if changed {
            files.insert(path.to_owned());
        }
    }
    if files.is_empty() {
        return false;
    }
    reload(loader, registry, files).await
}
