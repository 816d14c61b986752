//! `moat serve --watch`: reload plugins as their files change.
//!
//! Events are debounced, so the several writes of an editor's save, a `cp`
//! or an atomic rename settle into one reload. Each changed plugin is
//! compiled off the request path; only then is the registry swapped, whole.
//! A file that fails to load (half-written, broken, a bad manifest) leaves
//! the previous version serving and the error in the log.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

use crate::plugin::LoadedPlugin;
use crate::registry::LiveRegistry;
use crate::runtime::Runtime;
use crate::server::MoatServer;

/// How long the directory must be quiet before a change is acted on.
pub const SETTLE: Duration = Duration::from_millis(250);

/// Keeps the directory watched while it lives.
pub struct Watch {
    _watcher: RecommendedWatcher,
}

/// Watches `dir` and reloads into `registry`, telling `server`'s clients
/// when the tool list changes.
pub fn watch(
    dir: &Path,
    runtime: Runtime,
    registry: LiveRegistry,
    server: MoatServer,
) -> anyhow::Result<Watch> {
    let (changes, mut received) = mpsc::unbounded_channel::<Vec<PathBuf>>();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<Event>| match event {
            Ok(event) if is_write(&event.kind) => {
                let _ = changes.send(event.paths);
            }
            Ok(_) => {}
            Err(error) => tracing::error!("watching the plugin directory failed: {error}"),
        })
        .context("cannot watch the plugin directory")?;
    watcher
        .watch(dir, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    tokio::spawn(async move {
        while let Some(first) = received.recv().await {
            // Gather everything until the directory has been quiet for SETTLE.
            let mut paths = first;
            while let Ok(Some(more)) = tokio::time::timeout(SETTLE, received.recv()).await {
                paths.extend(more);
            }
            if reload(&runtime, &registry, plugin_files(&paths)).await {
                server.tools_changed().await;
            }
        }
    });
    Ok(Watch { _watcher: watcher })
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
fn plugin_files(paths: &[PathBuf]) -> BTreeSet<PathBuf> {
    paths
        .iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "wasm" || ext == "toml")
        })
        .map(|path| path.with_extension("wasm"))
        .collect()
}

/// Reloads each plugin in `wasm_files` and swaps the registry; returns
/// whether the served tool list changed.
async fn reload(runtime: &Runtime, live: &LiveRegistry, wasm_files: BTreeSet<PathBuf>) -> bool {
    let mut changed = false;
    for path in wasm_files {
        let current = live.current();
        let (next, collisions) = if path.is_file() {
            match LoadedPlugin::load(runtime, &path).await {
                Ok(plugin) => {
                    let known = current.plugins().iter().any(|p| p.path() == path);
                    let verb = if known { "reloaded" } else { "loaded" };
                    let tools: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_ref()).collect();
                    tracing::info!("{verb} {}: {}", path.display(), tools.join(", "));
                    current.with(plugin)
                }
                Err(error) => {
                    tracing::error!("kept the previous version: {error}");
                    continue;
                }
            }
        } else if current.plugins().iter().any(|p| p.path() == path) {
            tracing::info!("withdrew {}", path.display());
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
