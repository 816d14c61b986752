//! `moat dev PATH`: the plugin author's loop. Builds the plugin at PATH,
//! serves it, and on every saved change builds and reloads it, while the
//! client stays connected.
//!
//! PATH is a Rust crate (a `Cargo.toml`, built by cargo for wasm32-wasip2,
//! see [`super::dev_cargo`]), or a Python or JavaScript plugin directory
//! (`app.py` or `app.js` beside `wit/`, built by componentize-py or jco,
//! see [`super::dev_script`]). The toolchain's diagnostics go to stderr;
//! stdout stays the protocol's. A failed build leaves the last good build
//! serving.

use std::path::{Path, PathBuf};

use anyhow::bail;
use notify::RecursiveMode;

use super::dev_cargo::RustCrate;
use super::dev_script::{Language, Script};
use crate::plugins::LoadedPlugin;
use crate::plugins::registry::{LiveRegistry, Registry};
use crate::plugins::watcher::Changes;
use crate::protocol::MoatServer;
use crate::runtime::Runtime;

/// A plugin under development: a Rust crate, or a Python or JavaScript
/// plugin directory.
pub enum DevPlugin {
    /// Built by cargo.
    Rust(RustCrate),
    /// Built by componentize-py or jco.
    Script(Script),
}

impl DevPlugin {
    /// Finds the plugin at `path`: a crate's directory or `Cargo.toml`, or a
    /// Python or JavaScript plugin directory (or its `app.py`/`app.js`).
    /// `release` builds a crate optimised; the other toolchains have no
    /// such switch.
    pub async fn locate(path: &Path, release: bool) -> anyhow::Result<Self> {
        let dir = match path.file_name().and_then(|name| name.to_str()) {
            Some("app.py" | "app.js") if path.is_file() => path.parent().unwrap_or(Path::new(".")),
            _ => path,
        };
        if dir.is_dir() && !dir.join("Cargo.toml").exists() {
            return match Language::of(dir) {
                Some(language) => Ok(Self::Script(Script::locate(dir, language)?)),
                None => bail!(
                    "{} is not a plugin: moat dev expects a Rust crate (Cargo.toml), a Python plugin (app.py and wit/) or a JavaScript one (app.js and wit/)",
                    path.display()
                ),
            };
        }
        Ok(Self::Rust(RustCrate::locate(path, release).await?))
    }

    /// What is built, for the log.
    fn describe(&self) -> &Path {
        match self {
            Self::Rust(krate) => krate.manifest(),
            Self::Script(script) => script.dir(),
        }
    }

    /// Builds the plugin; its component, or `None` if the build failed.
    async fn build(&self) -> anyhow::Result<Option<PathBuf>> {
        match self {
            Self::Rust(krate) => krate.build().await,
            Self::Script(script) => script.build().await,
        }
    }

    /// The directories to watch.
    fn sources(&self) -> Vec<&Path> {
        match self {
            Self::Rust(krate) => krate.sources().iter().map(PathBuf::as_path).collect(),
            Self::Script(script) => vec![script.dir()],
        }
    }

    /// Whether a change to `path` calls for a new build.
    fn is_source(&self, path: &Path) -> bool {
        match self {
            Self::Rust(krate) => krate.is_source(path),
            Self::Script(script) => script.is_source(path),
        }
    }
}

/// Serves the plugin from its latest good build, rebuilding and reloading
/// it on every change to its sources or to `manifest` (the plugin's
/// `NAME.toml`, optional). Returns the server, already serving the first
/// build if it succeeded.
pub async fn start(
    plugin: DevPlugin,
    manifest: Option<PathBuf>,
    runtime: Runtime,
) -> anyhow::Result<MoatServer> {
    let live = LiveRegistry::new(Registry::default());
    let server = MoatServer::new(live.clone(), true);
    let mut watched: Vec<(&Path, RecursiveMode)> = plugin
        .sources()
        .into_iter()
        .map(|dir| (dir, RecursiveMode::Recursive))
        .collect();
    let manifest_dir = manifest.as_deref().and_then(Path::parent);
    if let Some(dir) = manifest_dir {
        watched.push((dir, RecursiveMode::NonRecursive));
    }
    let mut changes = Changes::watch(&watched)?;
    let dev = Dev {
        plugin,
        manifest,
        runtime,
        live,
    };
    dev.rebuild().await;
    let notify = server.clone();
    tokio::spawn(async move {
        loop {
            let paths = changes.settled().await;
            let relevant = paths.iter().any(|path| {
                dev.plugin.is_source(path) || dev.manifest.as_deref() == Some(path.as_path())
            });
            if relevant && dev.rebuild().await {
                notify.tools_changed().await;
            }
        }
    });
    Ok(server)
}

/// The plugin being served and where its builds go.
struct Dev {
    plugin: DevPlugin,
    manifest: Option<PathBuf>,
    runtime: Runtime,
    live: LiveRegistry,
}

impl Dev {
    /// Builds and, if the build is good, serves it; returns whether the
    /// served tool list changed.
    async fn rebuild(&self) -> bool {
        tracing::info!("building {}", self.plugin.describe().display());
        let component = match self.plugin.build().await {
            Ok(Some(component)) => component,
            Ok(None) => {
                let serving = if self.live.current().plugins().is_empty() {
                    "nothing is served yet"
                } else {
                    "the last good build keeps serving"
                };
                tracing::error!(
                    "the build failed (the toolchain's errors are above); {serving}. Save a fix to build again"
                );
                return false;
            }
            Err(error) => {
                tracing::error!("{error:#}");
                return false;
            }
        };
        let loaded =
            LoadedPlugin::load_with_manifest(&self.runtime, &component, self.manifest.as_deref());
        match loaded.await {
            Ok(plugin) => {
                let tools: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_ref()).collect();
                tracing::info!("serving {}: {}", plugin.name(), tools.join(", "));
                self.live
                    .replace(Registry::from_plugins(vec![plugin.into()]).0)
            }
            Err(error) => {
                tracing::error!(
                    "the build does not load, so the last good one keeps serving: {error}"
                );
                false
            }
        }
    }
}
