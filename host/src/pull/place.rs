//! Atomic placement: a pulled component is written into a temporary
//! directory inside the plugin directory, loaded and linted there under
//! the manifest in force, and only then renamed to `DIR/NAME.wasm`. A
//! failed pull leaves the directory as it was: the temporary directory is
//! removed on every path (it is dropped).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use sha2::{Digest as _, Sha256};

use crate::plugins::LoadedPlugin;
use crate::runtime::Runtime;
use crate::sandbox::manifest::Manifest;

/// The prefix of the temporary directory a pull writes into, inside the
/// plugin directory (so the final rename stays on one file system). The
/// leading dot keeps a watching `serve` from seeing it.
pub const STAGING_PREFIX: &str = ".moat-pull-";

/// A pull in progress for one plugin: its temporary directory.
pub struct Staging {
    dir: tempfile::TempDir,
    plugins: PathBuf,
    name: String,
}

impl Staging {
    /// Creates `DIR/.moat-pull-XXXX/` for the plugin `name`.
    pub fn new(plugins: &Path, name: &str) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(plugins)
            .with_context(|| {
                format!(
                    "cannot write into the plugin directory {}",
                    plugins.display()
                )
            })?;
        Ok(Self {
            dir,
            plugins: plugins.to_owned(),
            name: name.to_owned(),
        })
    }

    /// Where the component is written before it is checked: `TMP/NAME.wasm`.
    pub fn wasm(&self) -> PathBuf {
        self.dir.path().join(format!("{}.wasm", self.name))
    }

    /// A scratch file in the temporary directory (e.g. a tar layer).
    pub fn scratch(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Where the component goes: `DIR/NAME.wasm`.
    pub fn target(&self) -> PathBuf {
        self.plugins.join(format!("{}.wasm", self.name))
    }

    /// Syncs the written component, then compiles and links it with the
    /// plugin directory's `NAME.toml` (the manifest it will be served
    /// with) and runs the definition lint: refused on a load error or an
    /// unaccepted lint error; every finding is printed on stderr.
    pub async fn check(&self, runtime: &Runtime) -> anyhow::Result<LoadedPlugin> {
        File::open(self.wasm())
            .and_then(|file| file.sync_all())
            .context("cannot sync the component to disk")?;
        let manifest = Manifest::path_for(&self.target());
        let plugin = LoadedPlugin::load_with_manifest(runtime, &self.wasm(), Some(&manifest))
            .await
            .context("the component does not load")?;
        let review = plugin.lint().review(&[]);
        for line in review.lines() {
            eprintln!("lint: plugin `{}`: {line}", self.name);
        }
        let errors = review.errors().count();
        if errors > 0 {
            bail!(
                "{errors} lint finding(s) of severity error (above): fix the plugin or accept them in {}'s [lint] accept",
                manifest.display()
            );
        }
        Ok(plugin)
    }

    /// Renames the checked component to `DIR/NAME.wasm` and syncs the
    /// directory. An existing file with other bytes is refused unless
    /// `replace` (`--update`).
    pub fn commit(self, plugin: &LoadedPlugin, replace: bool) -> anyhow::Result<()> {
        let target = self.target();
        if !replace && let Ok(existing) = std::fs::read(&target) {
            let digest = format!("sha256:{:x}", Sha256::digest(&existing));
            if digest != **plugin.digest() {
                bail!(
                    "{} exists with other bytes ({digest}, pulled {}): refused; give --update to replace it",
                    target.display(),
                    plugin.digest()
                );
            }
        }
        std::fs::rename(self.wasm(), &target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        File::open(&self.plugins)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("cannot sync {}", self.plugins.display()))?;
        Ok(())
    }

    /// Where a suggested manifest shipped with the artifact goes:
    /// `DIR/.moat/suggested/NAME.toml`. It grants nothing: only
    /// `DIR/NAME.toml`, written by the operator, does.
    pub fn suggestion(&self) -> PathBuf {
        let file = format!("{}.toml", self.name);
        self.plugins.join(".moat").join("suggested").join(file)
    }
}
