//! Loading a plugin directory and telling the operator what came of it.
//!
//! To serve, the host waits for the plugins only so long (`--startup-wait`):
//! a large component compiling for the first time (a Python one takes
//! 8–17 s) must not keep the client from its `initialize` answer, nor the
//! other plugins from being served. Plugins still loading then are served
//! as each finishes, and clients are told the lists changed.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::LoadedPlugin;
use super::loader::{Loader, Loads};
use super::registry::{Collision, LiveRegistry, Registry, wasm_files};
use crate::observe::Event;

/// How long `moat serve` waits for its plugins before serving those that
/// have loaded [default of `--startup-wait`]. Below the 10 s that MCP
/// clients commonly allow for `initialize` (the MCP Inspector's default
/// request timeout), above what compiling the sample plugins takes even on
/// a loaded 2-core machine.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// Loads every plugin in `dir`, waiting for all of them. Each plugin that
/// fails to load (or that the lock refuses), and each tool refused for a
/// name collision, is logged to stderr and skipped; the rest are served.
pub async fn load(dir: &Path, loader: &Loader) -> anyhow::Result<LiveRegistry> {
    let (registry, errors, collisions) = Registry::load_dir(loader, dir).await?;
    for error in &errors {
        tracing::error!("skipped {error}");
    }
    for collision in &collisions {
        tracing::error!("{collision}");
    }
    report(&registry, dir, 0);
    Ok(LiveRegistry::new(registry))
}

/// Like [`load`], waiting at most `wait`: the plugins loaded by then are
/// served, and the rest are returned as [`Late`], to be served as they load.
pub async fn load_within(
    dir: &Path,
    loader: &Loader,
    wait: Duration,
) -> anyhow::Result<(LiveRegistry, Option<Late>)> {
    let mut loads = loader.start(wasm_files(dir)?);
    let deadline = Instant::now().checked_add(wait);
    let mut loaded = Vec::new();
    loop {
        let next = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, loads.next()).await,
            None => Ok(loads.next().await),
        };
        match next {
            Ok(Some((_, Ok(plugin)))) => loaded.push(plugin.into()),
            Ok(Some((_, Err(error)))) => tracing::error!("skipped {error}"),
            Ok(None) | Err(_) => break,
        }
    }
    let (registry, collisions) = lint(loader, Registry::from_plugins(loaded));
    for collision in &collisions {
        tracing::error!("{collision}");
    }
    if let Some(lock) = loader.lock() {
        super::watcher::report_lock(loader, lock.path());
    }
    for plugin in registry.plugins() {
        report_loaded(loader, plugin);
    }
    report(&registry, dir, loads.len());
    let live = LiveRegistry::new(registry);
    let late = (!loads.is_empty()).then(|| {
        tracing::info!(
            "{} plugin(s) still loading after {wait:?} (--startup-wait): each is served when it has loaded",
            loads.len()
        );
        Late {
            loads,
            live: live.clone(),
            loader: loader.clone(),
        }
    });
    Ok((live, late))
}

/// Plugins that had not loaded when serving began.
pub struct Late {
    loads: Loads,
    live: LiveRegistry,
    loader: Loader,
}

impl Late {
    /// Serves each plugin as it finishes loading, calling `lists_changed`
    /// (which tells the clients) when the served lists change.
    pub fn serve_as_loaded<F, Told>(mut self, lists_changed: F) -> JoinHandle<()>
    where
        F: Fn() -> Told + Send + 'static,
        Told: Future<Output = ()> + Send,
    {
        tokio::spawn(async move {
            while let Some((_, outcome)) = self.loads.next().await {
                let plugin = match outcome {
                    Ok(plugin) => plugin,
                    Err(error) => {
                        tracing::error!("skipped {error}");
                        continue;
                    }
                };
                let path = plugin.path().to_owned();
                let review = self.live.current().admit_lint(&plugin);
                match review.inspect_err(|error| self.loader.report_refused(&path, error)) {
                    Ok(review) => review.log(plugin.name()),
                    Err(error) => {
                        tracing::error!("skipped {error}");
                        continue;
                    }
                }
                let (next, collisions) = self.live.current().with(plugin);
                for collision in &collisions {
                    tracing::error!("{collision}");
                }
                let changed = self.live.replace(next);
                let current = self.live.current();
                if let Some(plugin) = current.plugins().iter().find(|p| p.path() == path) {
                    report_loaded(&self.loader, plugin);
                    report_one(&current, plugin);
                }
                if changed {
                    lists_changed().await;
                }
            }
        })
    }
}

/// Logs the lint's findings of each plugin of `registry` (judged beside the
/// others, so that shadowing is seen whatever the load order), and leaves
/// out those it refuses (strict, with an error finding).
fn lint(
    loader: &Loader,
    (registry, collisions): (Registry, Vec<Collision>),
) -> (Registry, Vec<Collision>) {
    let mut refused = Vec::new();
    for plugin in registry.plugins() {
        let review = registry.admit_lint(plugin);
        match review.inspect_err(|error| loader.report_refused(plugin.path(), error)) {
            Ok(review) => review.log(plugin.name()),
            Err(error) => {
                tracing::error!("skipped {error}");
                refused.push(plugin.path().to_owned());
            }
        }
    }
    if refused.is_empty() {
        return (registry, collisions);
    }
    let kept = registry.plugins().iter();
    let kept = kept.filter(|p| !refused.iter().any(|path| path == p.path()));
    Registry::from_plugins(kept.cloned().collect())
}

/// Logs what each plugin of `registry` (loaded from `dir`) serves, and a
/// warning if none loaded and none is `loading`.
fn report(registry: &Registry, dir: &Path, loading: usize) {
    for plugin in registry.plugins() {
        report_one(registry, plugin);
    }
    if registry.plugins().is_empty() && loading == 0 {
        tracing::warn!("no plugins loaded from {}", dir.display());
    }
}

/// Reports `plugin`, now served, to the loader's observer.
fn report_loaded(loader: &Loader, plugin: &LoadedPlugin) {
    loader.observer().event(&Event::Loaded {
        plugin: plugin.name(),
        path: plugin.path(),
        digest: plugin.digest(),
        tools: plugin.tools().len(),
    });
}

/// Logs what `plugin` serves in `registry`.
fn report_one(registry: &Registry, plugin: &LoadedPlugin) {
    let tools: Vec<&str> = registry.served_by(plugin).collect();
    let mut served = tools.join(", ");
    let extra = [
        ("resource", plugin.resources().len()),
        ("resource template", plugin.templates().len()),
        ("prompt", plugin.prompts().len()),
    ];
    for (kind, count) in extra.into_iter().filter(|(_, count)| *count > 0) {
        let plural = if count == 1 { "" } else { "s" };
        served.push_str(&format!("; {count} {kind}{plural}"));
    }
    tracing::info!(
        "plugin `{}` ({}): {served}",
        plugin.name(),
        plugin.path().display(),
    );
}
