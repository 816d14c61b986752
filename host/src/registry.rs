//! Which plugin serves which tool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rmcp::model::Tool;

use crate::error::LoadError;
use crate::plugin::LoadedPlugin;
use crate::runtime::Runtime;

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
        runtime: &Runtime,
        dir: &Path,
    ) -> anyhow::Result<(Self, Vec<LoadError>, Vec<Collision>)> {
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for path in wasm_files(dir)? {
            match LoadedPlugin::load(runtime, &path).await {
                Ok(plugin) => loaded.push(plugin),
                Err(error) => errors.push(error),
            }
        }
        let (registry, collisions) = Self::from_plugins(loaded);
        Ok((registry, errors, collisions))
    }

    /// Indexes `plugins`; where two serve the same tool name, the first keeps it.
    pub fn from_plugins(plugins: Vec<LoadedPlugin>) -> (Self, Vec<Collision>) {
        let mut registry = Self::default();
        let mut collisions = Vec::new();
        for plugin in plugins.into_iter().map(Arc::new) {
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
fn wasm_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
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
