//! Which plugin serves which tool.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};

use super::error::LoadError;
use super::listing::Listing;
use super::loader::Loader;
use super::plugin::LoadedPlugin;
use super::uri_template;
use crate::lint::{OtherTool, Review};

/// The plugins being served, and indexes from each tool name, resource URI
/// and prompt name to the plugin serving it. Each list is cut into pages
/// once, when the registry is built (see [`Listing`]).
#[derive(Default)]
pub struct Registry {
    plugins: Vec<Arc<LoadedPlugin>>,
    routes: HashMap<String, Arc<LoadedPlugin>>,
    tools: Listing<Tool>,
    resource_routes: HashMap<String, Arc<LoadedPlugin>>,
    resources: Listing<Resource>,
    templates: Vec<(ResourceTemplate, Arc<LoadedPlugin>)>,
    template_list: Listing<ResourceTemplate>,
    prompt_routes: HashMap<String, Arc<LoadedPlugin>>,
    prompts: Listing<Prompt>,
}

/// A tool, resource or prompt that was not served because an earlier plugin
/// already serves one of that name. No plugin can shadow another's.
#[derive(Debug, thiserror::Error)]
#[error(
    "{kind} `{tool}` of plugin `{plugin}` is not served: plugin `{owner}` already serves a {kind} of that name"
)]
pub struct Collision {
    /// `tool`, `resource` or `prompt`.
    pub kind: &'static str,
    /// The contested name (a resource's URI).
    pub tool: String,
    /// The plugin whose tool was refused.
    pub plugin: String,
    /// The plugin that keeps the name.
    pub owner: String,
}

impl Registry {
    /// Loads every `*.wasm` file in `dir`, several at once (see
    /// [`Loader::load_all`]), and indexes them in file-name order. A file that
    /// fails to load is reported in the returned errors and skipped; the
    /// only hard error is a directory that cannot be listed.
    pub async fn load_dir(
        loader: &Loader,
        dir: &Path,
    ) -> anyhow::Result<(Self, Vec<LoadError>, Vec<Collision>)> {
        let mut loaded = Vec::new();
        let mut errors = Vec::new();
        for (_path, outcome) in loader.load_all(wasm_files(dir)?).await {
            match outcome {
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
        let (mut tools, mut resources, mut prompts) = (Vec::new(), Vec::new(), Vec::new());
        for plugin in plugins {
            let mut claim = |kind, routes: &mut HashMap<String, Arc<LoadedPlugin>>, name: &str| {
                if let Some(owner) = routes.get(name) {
                    collisions.push(Collision {
                        kind,
                        tool: name.to_owned(),
                        plugin: plugin.name().to_owned(),
                        owner: owner.name().to_owned(),
                    });
                    return false;
                }
                routes.insert(name.to_owned(), plugin.clone());
                true
            };
            for tool in plugin.tools() {
                if claim("tool", &mut registry.routes, &tool.name) {
                    tools.push(tool.clone());
                }
            }
            for resource in plugin.resources() {
                if claim("resource", &mut registry.resource_routes, &resource.uri) {
                    resources.push(resource.clone());
                }
            }
            for prompt in plugin.prompts() {
                if claim("prompt", &mut registry.prompt_routes, &prompt.name) {
                    prompts.push(prompt.clone());
                }
            }
            for template in plugin.templates() {
                registry.templates.push((template.clone(), plugin.clone()));
            }
            registry.plugins.push(plugin);
        }
        registry.tools = Listing::new(tools);
        registry.resources = Listing::new(resources);
        let templates = registry.templates.iter().map(|(t, _)| t.clone()).collect();
        registry.template_list = Listing::new(templates);
        registry.prompts = Listing::new(prompts);
        (registry, collisions)
    }

    /// Every resource served, in load order.
    pub fn resources(&self) -> &[Resource] {
        self.resources.items()
    }

    /// Every resource template served, in load order.
    pub fn templates(&self) -> impl Iterator<Item = &ResourceTemplate> {
        self.templates.iter().map(|(template, _)| template)
    }

    /// Every prompt served, in load order.
    pub fn prompts(&self) -> &[Prompt] {
        self.prompts.items()
    }

    /// The tools served, in pages.
    pub fn tool_listing(&self) -> &Listing<Tool> {
        &self.tools
    }

    /// The resources served, in pages.
    pub fn resource_listing(&self) -> &Listing<Resource> {
        &self.resources
    }

    /// The resource templates served, in pages.
    pub fn template_listing(&self) -> &Listing<ResourceTemplate> {
        &self.template_list
    }

    /// The prompts served, in pages.
    pub fn prompt_listing(&self) -> &Listing<Prompt> {
        &self.prompts
    }

    /// The plugin serving the prompt `name`, if any.
    pub fn prompt_route(&self, name: &str) -> Option<&Arc<LoadedPlugin>> {
        self.prompt_routes.get(name)
    }

    /// The plugins that may serve `uri`: the one listing it, else those with
    /// a template that matches it, in load order.
    pub fn resource_routes(&self, uri: &str) -> Vec<&Arc<LoadedPlugin>> {
        if let Some(plugin) = self.resource_routes.get(uri) {
            return vec![plugin];
        }
        self.templates
            .iter()
            .filter(|(template, _)| uri_template::matches(&template.uri_template, uri))
            .map(|(_, plugin)| plugin)
            .collect()
    }

    /// The plugin serving the resource template `uri_template`, if any.
    pub fn template_route(&self, uri_template: &str) -> Option<&Arc<LoadedPlugin>> {
        let mut owners = self.templates.iter();
        let owner = owners.find(|(template, _)| template.uri_template == uri_template);
        owner.map(|(_, plugin)| plugin)
    }

    /// Whether any plugin serves resources, templates or prompts, or
    /// completes arguments.
    pub fn serves(&self) -> Serves {
        Serves {
            resources: !self.resources().is_empty() || !self.templates.is_empty(),
            prompts: !self.prompts().is_empty(),
            // Every SDK plugin exports `completion`, most with nothing to
            // complete: only prompts and templates have arguments.
            completion: self
                .plugins
                .iter()
                .any(|p| p.completes() && (!p.prompts().is_empty() || !p.templates().is_empty())),
        }
    }

    /// Every tool served, in load order.
    pub fn tools(&self) -> &[Tool] {
        self.tools.items()
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

    /// What the lint says of `plugin` beside this registry's other plugins
    /// (whose tools it must not name), accepts applied.
    pub fn lint(&self, plugin: &LoadedPlugin) -> Review {
        let own: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_ref()).collect();
        let mut others: Vec<OtherTool> = self
            .routes
            .iter()
            .filter(|(name, owner)| owner.path() != plugin.path() && !own.contains(&name.as_str()))
            .map(|(name, owner)| OtherTool {
                name: name.clone(),
                plugin: owner.name().to_owned(),
            })
            .collect();
        others.sort_by(|a, b| a.name.cmp(&b.name));
        plugin.lint().review(&others)
    }

    /// [`Self::lint`], refusing `plugin` if its lint is strict and finds an error.
    pub fn admit_lint(&self, plugin: &LoadedPlugin) -> Result<Review, LoadError> {
        let review = self.lint(plugin);
        plugin.refuse_if_strict(&review)?;
        Ok(review)
    }

    /// Each plugin's name with how many of its concurrency slots are taken
    /// now (its runs in progress), read when the metrics are scraped.
    pub fn instances_in_use(&self) -> impl Iterator<Item = (&str, usize)> {
        self.plugins
            .iter()
            .map(|plugin| (plugin.name(), plugin.instances.in_use()))
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

/// Which kinds of things beyond tools a registry serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serves {
    /// Resources or resource templates.
    pub resources: bool,
    /// Prompts.
    pub prompts: bool,
    /// Argument completion.
    pub completion: bool,
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
        let new = self.0.load();
        old.tools() != new.tools()
            || old.resources() != new.resources()
            || old.prompts() != new.prompts()
            || !old.templates().eq(new.templates())
    }
}
