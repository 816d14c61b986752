//! What happens to the set of plugins, as the sinks see it.

use std::path::Path;

/// A change to what the host serves.
#[derive(Debug)]
pub enum Event<'a> {
    /// A plugin loaded and is served (at start, or added while serving).
    Loaded {
        /// Its name.
        plugin: &'a str,
        /// Its component file.
        path: &'a Path,
        /// `sha256:HEX` of that file.
        digest: &'a str,
        /// How many tools it serves.
        tools: usize,
    },
    /// A served plugin was replaced by a new version of its file.
    Reloaded {
        /// Its name.
        plugin: &'a str,
        /// Its component file.
        path: &'a Path,
        /// `sha256:HEX` of the new version.
        digest: &'a str,
        /// How many tools it serves now.
        tools: usize,
    },
    /// A plugin's file went away, so it is no longer served.
    Removed {
        /// Its name.
        plugin: &'a str,
        /// Its component file.
        path: &'a Path,
    },
    /// A plugin was refused: it failed to load, its lock check failed, or a
    /// policy refused it. A served previous version, if any, keeps serving.
    Refused {
        /// Its component file.
        path: &'a Path,
        /// Why, as logged.
        reason: &'a str,
    },
    /// The lock file in force changed (written by `moat lock`, or taken up
    /// anew under `--locked --watch`).
    LockChanged {
        /// The lock file.
        path: &'a Path,
        /// `sha256:HEX` of its contents.
        digest: &'a str,
    },
}

impl Event<'_> {
    /// A short name for the event: `load`, `reload`, `remove`, `refuse` or
    /// `lock`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Loaded { .. } => "load",
            Self::Reloaded { .. } => "reload",
            Self::Removed { .. } => "remove",
            Self::Refused { .. } => "refuse",
            Self::LockChanged { .. } => "lock",
        }
    }
}
