//! Loading a plugin directory and telling the operator what came of it.

use std::path::Path;

use super::loader::Loader;
use super::registry::{LiveRegistry, Registry};

/// Loads every plugin in `dir`. Each plugin that fails to load (or that the
/// lock refuses), and each tool refused for a name collision, is logged to
/// stderr and skipped; the rest are served.
pub async fn load(dir: &Path, loader: &Loader) -> anyhow::Result<LiveRegistry> {
    let (registry, errors, collisions) = Registry::load_dir(loader, dir).await?;
    for error in &errors {
        tracing::error!("skipped {error}");
    }
    for collision in &collisions {
        tracing::error!("{collision}");
    }
    for plugin in registry.plugins() {
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
    if registry.plugins().is_empty() {
        tracing::warn!("no plugins loaded from {}", dir.display());
    }
    Ok(LiveRegistry::new(registry))
}
