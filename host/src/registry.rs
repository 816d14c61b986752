//! Which plugin serves which tool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use rmcp::model::Tool;

use crate::error::LoadError;
use crate::loader::Loader;
use crate::plugin::LoadedPlugin;

/// The plugins being served and an index from tool name to plugin.
#[derive(Default)]
pub struct Registry {
    plugins: Vec<Arc<LoadedPlugin>>,
    routes: HashMap<String, Arc<LoadedPlugin>>,
    tools: Vec<Tool>,
}

/// A tool that was not served because an earlier plugin already serves one
/// of that name. No plugin can shadow another's tool.
#[derive(Debug, thiserror::Error)]
#[error(
    "tool `{tool}` of plugin `{plugin}` is not served: plugin `{owner}` already serves a tool of that name"
)]
pub struct Collision {
    /// The contested tool name.
    pub tool: String,
    /// The plugin whose tool was refused.
    pub plugin: String,
    /// The plugin that keeps the name.
    pub owner: String,
}

impl Registry {
    /// Loads every `*.wasm` file in `dir`, in file-name order. A file that
    /// fails to load is reported in the returned errors and skipped; the
    /// only hard error is a directory that cannot be listed.
    pub async fn load_dir(
        loader: &Loader,
        dir: &Path,
    ) -> anyhow::Result<(Self, Vec<LoadError>, Vec<Collision>)> {
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for path in wasm_files(dir)? {
            match loader.load(&path).await {
                Ok(plugin) => loaded.push(plugin),
                Err(error) => errors.push(error),
            }
        }
        let (registry, collisions) = Self::from_plugins(loaded.into_iter().map(Arc::new).collect());
        Ok((registry, errors, collisions))
    }

    /// Indexes `plugins` in the order of their paths; where two serve the
    /// same tool name, the first keeps it.
    pub fn from_plugins(mut plugins: Vec<Arc<LoadedPlugin>>) -> (Self, Vec<Collision>) {
        plugins.sort_by(|a, b| a.path().cmp(b.path()));
        let mut registry = Self::default();
        let mut collisions = Vec::new();
        for plugin in plugins {
            for tool in plugin.tools() {
                if let Some(owner) = registry.routes.get(tool.name.as_ref()) {
                    collisions.push(Collision {
                        tool: tool.name.to_string(),
                        plugin: plugin.name().to_owned(),
                        owner: owner.name().to_owned(),
                    });
                    continue;
                }
                registry
                    .routes
                    .insert(tool.name.to_string(), plugin.clone());
                registry.tools.push(tool.clone());
            }
            registry.plugins.push(plugin);
        }
        (registry, collisions)
    }

    /// Every tool served, in load order.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The plugin serving `tool`, if any.
    pub fn route(&self, tool: &str) -> Option<&Arc<LoadedPlugin>> {
        self.routes.get(tool)
    }

    /// This registry with `plugin` added, or replacing the plugin loaded from
    /// the same file.
    pub fn with(&self, plugin: LoadedPlugin) -> (Self, Vec<Collision>) {
        let mut plugins: Vec<Arc<LoadedPlugin>> = self
            .plugins
            .iter()
            .filter(|p| p.path() != plugin.path())
            .cloned()
            .collect();
        plugins.push(Arc::new(plugin));
        Self::from_plugins(plugins)
    }

    /// This registry without the plugin loaded from `path`.
    pub fn without(&self, path: &Path) -> (Self, Vec<Collision>) {
        Self::from_plugins(
            self.plugins
                .iter()
                .filter(|p| p.path() != path)
                .cloned()
                .collect(),
        )
    }

    /// Every plugin loaded, in load order.
    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }

    /// The names of the tools `plugin` actually serves here (collisions left out).
    pub fn served_by<'a>(&'a self, plugin: &'a LoadedPlugin) -> impl Iterator<Item = &'a str> {
        plugin
            .tools()
            .iter()
            .map(|tool| tool.name.as_ref())
            .filter(|name| {
                self.route(name)
                    .is_some_and(|owner| std::ptr::eq(owner.as_ref(), plugin))
            })
    }
}

/// The `*.wasm` files directly inside `dir`, sorted by name.
pub(crate) fn wasm_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the plugin directory {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read the plugin directory {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "wasm") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The registry being served, swapped whole when plugins change. A call takes
/// the current snapshot and keeps it until it ends, so calls in flight finish
/// on the version they started with.
#[derive(Clone)]
pub struct LiveRegistry(Arc<ArcSwap<Registry>>);

impl LiveRegistry {
    /// Serves `registry`.
    pub fn new(registry: Registry) -> Self {
        Self(Arc::new(ArcSwap::from_pointee(registry)))
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<Registry> {
        self.0.load_full()
    }

    /// Replaces the snapshot; returns whether the served tool list changed.
    pub fn replace(&self, registry: Registry) -> bool {
        let old = self.0.swap(Arc::new(registry));
        old.tools() != self.0.load().tools()
    }
}
