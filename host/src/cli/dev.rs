//! `moat dev PATH_TO_CRATE`: the plugin author's loop. Builds the crate for
//! wasm32-wasip2, serves it, and on every saved change builds and reloads it,
//! while the client stays connected.
//!
//! cargo's own diagnostics go to stderr as cargo renders them; stdout stays
//! the protocol's. A failed build leaves the last good build serving.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use notify::RecursiveMode;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

use crate::plugins::LoadedPlugin;
use crate::plugins::registry::{LiveRegistry, Registry};
use crate::plugins::watcher::Changes;
use crate::protocol::MoatServer;
use crate::runtime::Runtime;

/// The target every plugin is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// A plugin crate under development.
pub struct DevCrate {
    /// Its `Cargo.toml`.
    manifest: PathBuf,
    /// Its cargo package id, to pick its artifact out of the build's.
    package: String,
    /// Where cargo writes; changes there are the build's own.
    target_dir: PathBuf,
    /// The crate's directory and those of its local path dependencies.
    sources: Vec<PathBuf>,
    /// Build with `--release`.
    release: bool,
}

/// The parts of `cargo metadata` this needs.
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    manifest_path: PathBuf,
    /// `None` for a local crate (a path dependency or workspace member).
    source: Option<String>,
}

#[derive(Deserialize)]
struct Resolve {
    root: Option<String>,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    dependencies: Vec<String>,
}

/// One line of `cargo build --message-format=json`.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    package_id: String,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

impl DevCrate {
    /// Asks cargo about the crate at `path` (its directory or `Cargo.toml`).
    pub async fn locate(path: &Path, release: bool) -> anyhow::Result<Self> {
        let manifest = if path.is_dir() {
            path.join("Cargo.toml")
        } else {
            path.to_owned()
        };
        let manifest = manifest.canonicalize().with_context(|| {
            format!(
                "no crate at {}: cannot read {}",
                path.display(),
                manifest.display()
            )
        })?;
        let output = cargo(&manifest)
            .args(["metadata", "--format-version", "1", "--manifest-path"])
            .arg(&manifest)
            .stdout(Stdio::piped())
            .output()
            .await
            .context("cannot run cargo")?;
        if !output.status.success() {
            bail!("`cargo metadata` failed for {}", manifest.display());
        }
        let metadata: Metadata =
            serde_json::from_slice(&output.stdout).context("cannot read `cargo metadata`")?;
        let Some(package) = metadata.resolve.as_ref().and_then(|r| r.root.clone()) else {
            bail!(
                "{} is a workspace, not a plugin crate: give the path of one plugin's crate",
                manifest.display()
            );
        };
        let sources = local_sources(&metadata, &package);
        Ok(Self {
            manifest,
            package,
            target_dir: metadata.target_directory,
            sources,
            release,
        })
    }

    /// Builds the crate; returns its component, or `None` if the build
    /// failed (cargo has already printed why, on stderr).
    pub async fn build(&self) -> anyhow::Result<Option<PathBuf>> {
        let mut command = cargo(&self.manifest);
        command
            .args(["build", "--target", TARGET])
            .args(["--message-format", "json-render-diagnostics"])
            .arg("--manifest-path")
            .arg(&self.manifest)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if self.release {
            command.arg("--release");
        }
        let mut child = command.spawn().context("cannot run cargo")?;
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let mut component = None;
        while let Some(line) = lines.next_line().await? {
            let Ok(message) = serde_json::from_str::<Message>(&line) else {
                continue;
            };
            if message.reason == "compiler-artifact" && message.package_id == self.package {
                let mut files = message.filenames.into_iter();
                component = files
                    .rfind(|file| file.extension().is_some_and(|ext| ext == "wasm"))
                    .or(component);
            }
        }
        if !child.wait().await?.success() {
            return Ok(None);
        }
        match component {
            Some(path) => Ok(Some(path)),
            None => bail!(
                "{} built no WebAssembly component: a plugin crate has `crate-type = [\"cdylib\"]` under [lib]",
                self.manifest.display()
            ),
        }
    }

    /// The directories whose changes call for a new build.
    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }

    /// Whether a change to `path` can change the build: anything in the
    /// sources but the build's own output, version control, and hidden or
    /// backup files such as editors' swap files.
    pub fn is_source(&self, path: &Path) -> bool {
        if path.starts_with(&self.target_dir) {
            return false;
        }
        self.sources.iter().any(|dir| {
            path.strip_prefix(dir).is_ok_and(|inside| {
                !inside.components().any(|part| {
                    let part = part.as_os_str().to_string_lossy();
                    part.starts_with('.') || part.ends_with('~')
                })
            })
        })
    }
}

/// A `cargo` command run in the crate's directory (so that its
/// `.cargo/config.toml` applies), which never reads moat's stdin.
fn cargo(manifest: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(manifest.parent().unwrap_or(Path::new(".")))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// The directories of `root` and of every local crate it depends on.
fn local_sources(metadata: &Metadata, root: &str) -> Vec<PathBuf> {
    let nodes: HashMap<&str, &Node> = metadata
        .resolve
        .iter()
        .flat_map(|resolve| &resolve.nodes)
        .map(|node| (node.id.as_str(), node))
        .collect();
    let mut seen = BTreeSet::new();
    let mut next = vec![root];
    while let Some(id) = next.pop() {
        if seen.insert(id) {
            next.extend(
                nodes
                    .get(id)
                    .iter()
                    .flat_map(|n| &n.dependencies)
                    .map(String::as_str),
            );
        }
    }
    metadata
        .packages
        .iter()
        .filter(|package| package.source.is_none() && seen.contains(package.id.as_str()))
        .filter_map(|package| package.manifest_path.parent().map(Path::to_owned))
        .collect()
}

/// Serves the crate's plugin from its latest good build, rebuilding and
/// reloading it on every change to its sources or to `manifest` (the
/// plugin's `NAME.toml`, optional). Returns the server, already serving
/// the first build if it succeeded.
pub async fn start(
    krate: DevCrate,
    manifest: Option<PathBuf>,
    runtime: Runtime,
) -> anyhow::Result<MoatServer> {
    let live = LiveRegistry::new(Registry::default());
    let server = MoatServer::new(live.clone(), true);
    let mut watched: Vec<(&Path, RecursiveMode)> = krate
        .sources()
        .iter()
        .map(|dir| (dir.as_path(), RecursiveMode::Recursive))
        .collect();
    let manifest_dir = manifest.as_deref().and_then(Path::parent);
    if let Some(dir) = manifest_dir {
        watched.push((dir, RecursiveMode::NonRecursive));
    }
    let mut changes = Changes::watch(&watched)?;
    let dev = Dev {
        krate,
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
                dev.krate.is_source(path) || dev.manifest.as_deref() == Some(path.as_path())
            });
            if relevant && dev.rebuild().await {
                notify.tools_changed().await;
            }
        }
    });
    Ok(server)
}

/// The crate being served and where its builds go.
struct Dev {
    krate: DevCrate,
    manifest: Option<PathBuf>,
    runtime: Runtime,
    live: LiveRegistry,
}

impl Dev {
    /// Builds and, if the build is good, serves it; returns whether the
    /// served tool list changed.
    async fn rebuild(&self) -> bool {
        tracing::info!("building {}", self.krate.manifest.display());
        let component = match self.krate.build().await {
            Ok(Some(component)) => component,
            Ok(None) => {
                let serving = if self.live.current().plugins().is_empty() {
                    "nothing is served yet"
                } else {
                    "the last good build keeps serving"
                };
                tracing::error!(
                    "the build failed (cargo's errors are above); {serving}. Save a fix to build again"
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
