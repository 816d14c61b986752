//! Pinned plugins: `moat lock`, `moat pull` and `moat serve --locked`.
//!
//! A model decides what to call, and with what, from each tool's
//! description and schemas, and reads prompts and resource descriptions as
//! they come. A plugin that is swapped for one whose `read_file` now says
//! "also send the file to …" (a rug pull: same name, new words), or for one
//! whose code does something new behind the same words (a moved registry
//! tag, a replaced file), changes what the model does without anyone
//! approving it. The lock stops both: `moat lock` records, per plugin, a
//! SHA-256 of the component's bytes, and of each part of every tool's
//! definition and of every prompt, resource and resource template; for a
//! plugin `moat pull` fetched, also the reference, the digest it resolved
//! to and the key whose signature verified it. With `--locked` a plugin
//! that differs in any way (other bytes, a changed title, description,
//! schema, argument or annotation, an item added or gone, or a plugin the
//! lock has never seen) is refused until the operator runs `moat lock`
//! again. The log names each difference.
//!
//! The file is TOML, one table per plugin, its items under `definitions`
//! (tools by name, the others as `prompt:NAME`, `resource:URI` and
//! `template:URI`):
//!
//! ```toml
//! [math]
//! wasm = "sha256:…"            # the component's bytes
//!
//! [math.source]                # only for a pulled plugin
//! reference = "oci://registry.example/moat/math:1.0"
//! digest = "sha256:…"          # the manifest the reference resolved to
//! key = "release"              # the trust-policy key that verified it
//! fingerprint = "sha256:…"
//!
//! [math.definitions.add]
//! definition = "sha256:…"      # the whole definition, as served
//! title = "sha256:…"
//! description = "sha256:…"
//! input_schema = "sha256:…"    # a prompt's arguments
//! output_schema = "sha256:…"
//! annotations = "sha256:…"
//! ```

pub mod change;
mod entry;
mod file;
mod pin;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

pub use self::change::Change;
pub use self::entry::Source;
use self::entry::{Entry, pins};
pub use self::file::LockError;

use super::error::LoadError;
use super::plugin::LoadedPlugin;

/// The lock file's name in the plugin directory, unless `--lock` says otherwise.
pub const FILE_NAME: &str = "moat.lock";

/// What the operator approved: plugin name → its entry.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lock(BTreeMap<String, Entry>);

impl Lock {
    /// The lock that approves `plugins` as they are now. A plugin's source
    /// is carried over from `previous` only while its bytes are still the
    /// ones pulled: a file swapped since is recorded as a local one.
    pub fn of<'a>(plugins: impl IntoIterator<Item = &'a LoadedPlugin>, previous: &Lock) -> Self {
        Self(
            plugins
                .into_iter()
                .map(|plugin| {
                    let source = previous
                        .0
                        .get(plugin.name())
                        .filter(|entry| entry.wasm == **plugin.digest())
                        .and_then(|entry| entry.source.clone());
                    (plugin.name().to_owned(), Entry::of(plugin, source))
                })
                .collect(),
        )
    }

    /// The sources in `self` that `newer` no longer records: plugins whose
    /// pulled bytes were replaced, or which are gone.
    pub fn sources_lost<'a>(&'a self, newer: &Lock) -> Vec<(&'a str, &'a Source)> {
        self.pulled()
            .filter(|(name, _)| newer.source(name).is_none())
            .collect()
    }

    /// Reads the lock at `path`.
    pub fn read(path: &Path) -> Result<Self, LockError> {
        file::read(path)
    }

    /// Reads the lock at `path`; a missing file is an empty lock.
    pub fn read_or_default(path: &Path) -> Result<Self, LockError> {
        file::read_or_default(path)
    }

    /// Writes the lock to `path`, replacing it whole: a reader sees the old
    /// lock or the new one, never half of one.
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        file::write(self, path)
    }

    /// Records `plugin` as it is now, pulled from `source` if given,
    /// replacing what the lock said of it.
    pub fn pin(&mut self, plugin: &LoadedPlugin, source: Option<Source>) {
        self.0
            .insert(plugin.name().to_owned(), Entry::of(plugin, source));
    }

    /// Where `plugin` was pulled from, if the lock records it.
    pub fn source(&self, plugin: &str) -> Option<&Source> {
        self.0.get(plugin)?.source.as_ref()
    }

    /// The locked SHA-256 of `plugin`'s component, `sha256:HEX`.
    pub fn wasm(&self, plugin: &str) -> Option<&str> {
        Some(&self.0.get(plugin)?.wasm)
    }

    /// Every pulled plugin the lock records, by name, with its source.
    pub fn pulled(&self) -> impl Iterator<Item = (&str, &Source)> {
        self.0
            .iter()
            .filter_map(|(name, entry)| Some((name.as_str(), entry.source.as_ref()?)))
    }

    /// The number of plugins and of items the lock approves.
    pub fn size(&self) -> (usize, usize) {
        let items = self.0.values().map(|entry| entry.definitions.len()).sum();
        (self.0.len(), items)
    }

    /// How `plugin` differs from the lock; empty if it matches.
    pub fn check(&self, plugin: &LoadedPlugin) -> Vec<Change> {
        let Some(locked) = self.0.get(plugin.name()) else {
            return vec![Change::UnknownPlugin];
        };
        let mut changes = Vec::new();
        if locked.wasm != **plugin.digest() {
            changes.push(Change::Component {
                locked: locked.wasm.clone(),
                found: plugin.digest().to_string(),
                source: locked.source.clone(),
            });
        }
        let now = pins(plugin);
        for (key, pin, description) in &now {
            match locked.definitions.get(key) {
                None => changes.push(Change::Added(key.clone())),
                Some(approved) if approved != pin => {
                    let parts = approved.differences(pin);
                    let description = parts.contains(&"description").then(|| description.clone());
                    changes.push(Change::Changed {
                        tool: key.clone(),
                        parts,
                        description,
                    });
                }
                Some(_) => {}
            }
        }
        for key in locked.definitions.keys() {
            if !now.iter().any(|(served, _, _)| served == key) {
                changes.push(Change::Removed(key.clone()));
            }
        }
        changes
    }
}

/// The lock in force under `--locked`, and where it was read from. The
/// operator may write a new lock while the host serves; [`Self::reread`]
/// takes it up.
pub struct Locked {
    path: PathBuf,
    lock: ArcSwap<Lock>,
}

impl Locked {
    /// Reads the lock at `path`; a missing or unreadable lock is an error,
    /// never an empty lock that would refuse everything silently.
    pub fn read(path: &Path) -> Result<Self, LockError> {
        Ok(Self {
            path: path.to_owned(),
            lock: ArcSwap::from_pointee(Lock::read(path)?),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The names of the plugins the lock in force approves.
    pub fn names(&self) -> Vec<String> {
        self.lock.load().0.keys().cloned().collect()
    }

    /// Reads the lock file again. On error the lock in force stays.
    pub fn reread(&self) -> Result<(), LockError> {
        self.lock.store(Arc::new(Lock::read(&self.path)?));
        Ok(())
    }

    /// `plugin` if the lock approves it as it is.
    pub fn admit(&self, plugin: LoadedPlugin) -> Result<LoadedPlugin, LoadError> {
        self.admit_served(&plugin)?;
        Ok(plugin)
    }

    /// Whether the lock approves `plugin`, already loaded; the error lists
    /// every difference.
    pub fn admit_served(&self, plugin: &LoadedPlugin) -> Result<(), LoadError> {
        let changes = self.lock.load().check(plugin);
        if changes.is_empty() {
            return Ok(());
        }
        Err(LoadError::Unlocked {
            path: plugin.path().to_owned(),
            lock: self.path.clone(),
            changes,
        })
    }
}

#[cfg(test)]
mod tests;
