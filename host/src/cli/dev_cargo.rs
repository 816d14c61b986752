//! The Rust half of `moat dev`: a plugin crate, built by cargo for
//! wasm32-wasip2. cargo's diagnostics go to stderr as cargo renders them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

/// The target every plugin is built for.
pub const TARGET: &str = "wasm32-wasip2";

/// A plugin crate under development.
pub struct RustCrate {
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

impl RustCrate {
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

    /// The crate's `Cargo.toml`.
    pub fn manifest(&self) -> &Path {
        &self.manifest
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
