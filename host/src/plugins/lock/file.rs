//! The lock file on disk: read whole, written whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Lock;
use super::pin::Pin;

const HEADER: &str = "\
# Written by `moat lock` and `moat pull`: what the operator approved, hashed.
# Per plugin: `wasm` is the SHA-256 of the component's bytes, `source` where
# it was pulled from and the key that verified it, and `definitions` a hash of
# every tool, prompt, resource and template it serves.
# `moat serve --locked` refuses a plugin that differs from these in any way.
# Run `moat lock` again to approve a change.

";

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

/// The shape of a lock written before locks recorded each component's
/// SHA-256: plugin → item → pin, nothing else.
type FirstFormat = BTreeMap<String, BTreeMap<String, Pin>>;

pub(super) fn read(path: &Path) -> Result<Lock, LockError> {
    let text = std::fs::read_to_string(path).map_err(|error| LockError::Io {
        path: path.to_owned(),
        error,
    })?;
    toml::from_str(&text).map_err(|error| {
        let problem = match toml::from_str::<FirstFormat>(&text) {
            Ok(_) => "written by an older moat, before the lock recorded each \
                      component's SHA-256; run `moat lock` again to approve the \
                      plugins as they are now"
                .to_owned(),
            Err(_) => error.to_string().trim_end().to_owned(),
        };
        LockError::Parse {
            path: path.to_owned(),
            problem,
        }
    })
}

pub(super) fn read_or_default(path: &Path) -> Result<Lock, LockError> {
    match read(path) {
        Err(LockError::Io { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok(Lock::default())
        }
        other => other,
    }
}

/// Replaces the file whole: a reader sees the old lock or the new one,
/// never half of one.
pub(super) fn write(lock: &Lock, path: &Path) -> Result<(), LockError> {
    let io = |error| LockError::Io {
        path: path.to_owned(),
        error,
    };
    let text = toml::to_string(lock).expect("a lock is always valid TOML");
    // One partial file per process, so that two writers (`moat lock` and
    // `moat pull`) never write into the same one.
    let partial = path.with_extension(format!("lock.partial-{}", std::process::id()));
    std::fs::write(&partial, format!("{HEADER}{text}")).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}
