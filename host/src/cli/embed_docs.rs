//! `moat embed-docs`: puts the WIT doc comments into a built component, the
//! one step a plain component's author runs after the build, so that its
//! tools are served with their descriptions.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::typed::embed::embed;

/// Embeds the docs of the WIT in `wit` into the component at `component`,
/// writing it to `out` (default: in place). Prints what it did; warns of
/// exports the WIT does not describe.
pub fn run(wit: &Path, component: &Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    let embedded = embed(wit, &bytes).with_context(|| {
        format!(
            "cannot embed the docs of {} into {}",
            wit.display(),
            component.display()
        )
    })?;
    for export in &embedded.undescribed {
        tracing::warn!(
            "the world `{}` does not export `{export}`, which the component does: its tools get no docs",
            embedded.world
        );
    }
    let out = out.unwrap_or_else(|| component.to_owned());
    // Written beside the target and renamed, so that a watching host never
    // loads half a file.
    let temporary = out.with_extension("wasm.embed-docs");
    std::fs::write(&temporary, &embedded.bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, &out).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "embedded the docs of world `{}` into {}",
        embedded.world,
        out.display()
    );
    Ok(())
}
