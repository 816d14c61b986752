//! Loading plugins for serving: compiled on the runtime and, under
//! `--locked`, admitted only if the lock approves their tools.

use std::path::Path;
use std::sync::Arc;

use super::error::LoadError;
use super::lock::Locked;
use super::plugin::LoadedPlugin;
use crate::runtime::Runtime;

/// What every load for serving goes through: at start, on reload and in
/// `moat dev`.
#[derive(Clone)]
pub struct Loader {
    runtime: Runtime,
    lock: Option<Arc<Locked>>,
}

impl Loader {
    /// Loads on `runtime`, refusing plugins that `lock` (if any) does not
    /// approve.
    pub fn new(runtime: Runtime, lock: Option<Locked>) -> Self {
        Self {
            runtime,
            lock: lock.map(Arc::new),
        }
    }

    /// The engine plugins are compiled and run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The lock in force, under `--locked`.
    pub fn lock(&self) -> Option<&Locked> {
        self.lock.as_deref()
    }

    /// Loads the plugin at `path`; see [`LoadedPlugin::load`].
    pub async fn load(&self, path: &Path) -> Result<LoadedPlugin, LoadError> {
        let plugin = LoadedPlugin::load(&self.runtime, path).await?;
        match &self.lock {
            Some(lock) => lock.admit(plugin),
            None => Ok(plugin),
        }
    }
}
