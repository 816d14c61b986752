//! Pinned definitions: `moat lock` and `moat serve --locked`.
//!
//! A model decides what to call, and with what, from each tool's
//! description and schemas, and reads prompts and resource descriptions as
//! they come. A plugin that is swapped for one whose `read_file` now says
//! "also send the file to …" (a rug pull: same name, new words) changes what
//! the model does without anyone approving it. The lock stops that: `moat
//! lock` records a SHA-256 of each part of every tool's definition, and of
//! every prompt, resource and resource template; with `--locked` a plugin
//! whose definitions differ in any way (a changed title, description,
//! schema, argument or annotation, an item added or gone, or a plugin the
//! lock has never seen) is refused until the operator runs `moat lock`
//! again. The log names each difference.
//!
//! The file is TOML, one table per plugin and item (tools by name, the
//! others as `prompt:NAME`, `resource:URI` and `template:URI`):
//!
//! ```toml
//! [math.add]
//! definition = "sha256:…"      # the whole definition, as served
//! title = "sha256:…"
//! description = "sha256:…"
//! input_schema = "sha256:…"    # a prompt's arguments
//! output_schema = "sha256:…"
//! annotations = "sha256:…"
//! ```

pub mod change;
mod pin;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use self::change::Change;
use self::pin::Pin;

use super::error::LoadError;
use super::plugin::LoadedPlugin;

/// The lock file's name in the plugin directory, unless `--lock` says otherwise.
pub const FILE_NAME: &str = "moat.lock";

const HEADER: &str = "\
# Written by `moat lock`: the tool definitions the operator approved, hashed.
# `moat serve --locked` refuses a plugin whose tools differ from these.
# Run `moat lock` again to approve a change.

";

/// The approved definitions: plugin name → served tool name → hashes.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lock(BTreeMap<String, BTreeMap<String, Pin>>);

/// The lock could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Reading or writing the file failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file is not a lock moat wrote.
    #[error("{}: not a moat lock file: {problem}", path.display())]
    Parse {
        /// The lock file.
        path: PathBuf,
        /// What is wrong, with its line.
        problem: String,
    },
}

impl Lock {
    /// The lock that approves the tools of `plugins` as they are now.
    pub fn of<'a>(plugins: impl IntoIterator<Item = &'a LoadedPlugin>) -> Self {
        Self(
            plugins
                .into_iter()
                .map(|plugin| {
                    let pins = pins(plugin).into_iter().map(|(key, pin, _)| (key, pin));
                    (plugin.name().to_owned(), pins.collect())
                })
                .collect(),
        )
    }

    /// Reads the lock at `path`.
    pub fn read(path: &Path) -> Result<Self, LockError> {
        let text = std::fs::read_to_string(path).map_err(|error| LockError::Io {
            path: path.to_owned(),
            error,
        })?;
        toml::from_str(&text).map_err(|error| LockError::Parse {
            path: path.to_owned(),
            problem: error.to_string().trim_end().to_owned(),
        })
    }

    /// Writes the lock to `path`, replacing it whole: a reader sees the old
    /// lock or the new one, never half of one.
    pub fn write(&self, path: &Path) -> Result<(), LockError> {
        let io = |error| LockError::Io {
            path: path.to_owned(),
            error,
        };
        let text = toml::to_string(self).expect("a lock is always valid TOML");
        let partial = path.with_extension("lock.partial");
        std::fs::write(&partial, format!("{HEADER}{text}")).map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)
    }

    /// The number of plugins and of tools the lock approves.
    pub fn size(&self) -> (usize, usize) {
        (self.0.len(), self.0.values().map(BTreeMap::len).sum())
    }

    /// How `plugin`'s tools differ from the lock; empty if they match.
    pub fn check(&self, plugin: &LoadedPlugin) -> Vec<Change> {
        let Some(locked) = self.0.get(plugin.name()) else {
            return vec![Change::UnknownPlugin];
        };
        let now = pins(plugin);
        let mut changes = Vec::new();
        for (key, pin, description) in &now {
            match locked.get(key) {
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
        for key in locked.keys() {
            if !now.iter().any(|(served, _, _)| served == key) {
                changes.push(Change::Removed(key.clone()));
            }
        }
        changes
    }
}

/// Everything a model reads that `plugin` serves, pinned: its tools (keyed
/// by name), prompts (`prompt:NAME`), resources (`resource:URI`) and
/// templates (`template:URI`), each with its description.
fn pins(plugin: &LoadedPlugin) -> Vec<(String, Pin, String)> {
    let text = |description: Option<&str>| description.unwrap_or("").to_owned();
    let tools = plugin.tools().iter().map(|tool| {
        let description = text(tool.description.as_deref());
        (tool.name.to_string(), Pin::of(tool), description)
    });
    let prompts = plugin.prompts().iter().map(|prompt| {
        let arguments = serde_json::to_value(&prompt.arguments).expect("arguments are JSON");
        let pin = Pin::of_item(prompt, &prompt.title, &prompt.description, arguments);
        (
            format!("prompt:{}", prompt.name),
            pin,
            text(prompt.description.as_deref()),
        )
    });
    let resources = plugin.resources().iter().map(|resource| {
        let pin = Pin::of_item(
            resource,
            &resource.title,
            &resource.description,
            Value::Null,
        );
        (
            format!("resource:{}", resource.uri),
            pin,
            text(resource.description.as_deref()),
        )
    });
    let templates = plugin.templates().iter().map(|template| {
        let pin = Pin::of_item(
            template,
            &template.title,
            &template.description,
            Value::Null,
        );
        (
            format!("template:{}", template.uri_template),
            pin,
            text(template.description.as_deref()),
        )
    });
    tools
        .chain(prompts)
        .chain(resources)
        .chain(templates)
        .collect()
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

    /// Reads the lock file again. On error the lock in force stays.
    pub fn reread(&self) -> Result<(), LockError> {
        self.lock.store(Arc::new(Lock::read(&self.path)?));
        Ok(())
    }

    /// `plugin` if the lock approves its tools as they are.
    pub fn admit(&self, plugin: LoadedPlugin) -> Result<LoadedPlugin, LoadError> {
        self.admit_served(&plugin)?;
        Ok(plugin)
    }

    /// Whether the lock approves the tools of `plugin`, already loaded; the
    /// error lists every difference.
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
mod tests {
    use super::pin::tests::tool;
    use super::*;

    #[test]
    fn a_written_lock_reads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut plugins = BTreeMap::new();
        plugins.insert(
            "math.v2".to_owned(),
            BTreeMap::from([("add".to_owned(), Pin::of(&tool("Add")))]),
        );
        let lock = Lock(plugins);
        lock.write(&path).unwrap();
        assert_eq!(Lock::read(&path).unwrap(), lock);
        assert_eq!(lock.size(), (1, 1));
    }

    #[test]
    fn a_foreign_file_is_refused_with_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "[math.add]\ndefinition = 3\n").unwrap();
        let error = Lock::read(&path).unwrap_err().to_string();
        assert!(error.contains("not a moat lock file"), "{error}");
    }
}
