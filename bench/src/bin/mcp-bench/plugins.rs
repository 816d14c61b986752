//! Start-up with many plugins, for moat and baseline only: `moat serve` on
//! directories of 1, 20 and 100 plugins, timed as the other start-ups, from
//! spawning the process to the end of the first `tools/list` after the
//! handshake.
//!
//! Each plugin is a copy of the math sample made distinct
//! ([`crate::copies`]), so that every copy is compiled and cached on its
//! own, with a manifest giving its tools a prefix of their own, so that `N`
//! plugins serve `4 × N` tools (checked at every launch). Each directory is
//! started two ways:
//!
//! - **cold**: with a new, empty compile cache, so every plugin is compiled
//!   (checked by counting the cache entries afterwards);
//! - **cached**: with a compile cache that a cold launch filled.
//!
//! The first cold launch of each directory and binary fills the cache its
//! cached launches use. After that, the launches take turns, the order
//! rotating every round, so that drift on a shared machine hits them all
//! alike.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};

use crate::Plan;
use crate::copies::distinct;
use crate::servers::{Server, Setup};
use crate::stats::rotated;
use crate::stdio::{Client, handshake};

/// The tools of each copy of the math plugin.
const TOOLS: usize = 4;

/// The plugin counts started.
pub const COUNTS: [usize; 3] = [1, 20, 100];

/// Whether the compile cache holds the plugins at launch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cache {
    /// A new, empty cache: every plugin is compiled.
    Cold,
    /// A cache filled by an earlier launch: nothing is compiled.
    Cached,
}

impl Cache {
    /// Both, in the order the tables list them.
    pub const BOTH: [Self; 2] = [Self::Cold, Self::Cached];

    /// How the tables name it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cold => "cold",
            Self::Cached => "cached",
        }
    }
}

/// One start-up configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Launch {
    /// How many plugins the directory holds.
    pub plugins: usize,
    /// Whether they are in the compile cache.
    pub cache: Cache,
    /// Which moat binary.
    pub server: Server,
}

impl Launch {
    /// How logs and errors name it.
    fn label(self) -> String {
        format!("{}-plugins-{}", self.plugins, self.cache.label())
    }
}

/// The plugin directories, one per count (0 included), and the compile
/// caches the moat binaries filled for them.
pub struct Fleet {
    root: PathBuf,
}

impl Fleet {
    /// Writes a directory of `n` distinct copies of `math` for every `n` in
    /// [`COUNTS`], and an empty one, under `temp`.
    pub fn create(temp: &Path, math: &[u8]) -> anyhow::Result<Self> {
        let fleet = Self {
            root: temp.join("fleet"),
        };
        for plugins in [0].into_iter().chain(COUNTS) {
            let dir = fleet.dir(plugins);
            std::fs::create_dir_all(&dir)?;
            for i in 0..plugins {
                let bytes = distinct(math, &format!("copy {i}"));
                add_plugin(&dir, &format!("math{i:03}"), &bytes, &format!("p{i:03}"))?;
            }
        }
        Ok(fleet)
    }

    /// The directory of `plugins` plugins.
    pub fn dir(&self, plugins: usize) -> PathBuf {
        self.root.join(format!("plugins-{plugins}"))
    }

    /// The compile cache `server` fills for the directory of `plugins`
    /// plugins.
    pub fn cache(&self, server: Server, plugins: usize) -> PathBuf {
        self.root.join(format!("cache-{}-{plugins}", server.name()))
    }

    /// A new, empty compile cache, removed when dropped.
    fn empty_cache(&self) -> anyhow::Result<tempfile::TempDir> {
        Ok(tempfile::tempdir_in(&self.root)?)
    }
}

/// Writes plugin `name` into `dir`: `bytes` as `NAME.wasm`, and a manifest
/// that serves its tools as `PREFIX_TOOL`.
pub fn add_plugin(dir: &Path, name: &str, bytes: &[u8], prefix: &str) -> anyhow::Result<()> {
    std::fs::write(dir.join(format!("{name}.wasm")), bytes)?;
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!("[tools]\nprefix = \"{prefix}\"\n"),
    )?;
    Ok(())
}

/// Launches moat and baseline, where among `servers`, on every directory of
/// [`COUNTS`], `plan.cold_starts` times cold and `plan.cached_starts` times
/// cached, and returns the times of each configuration.
pub async fn start_up(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
    fleet: &Fleet,
) -> anyhow::Result<HashMap<Launch, Vec<Duration>>> {
    let mut launches = Vec::new();
    for plugins in COUNTS {
        for cache in Cache::BOTH {
            for &server in servers.iter().filter(|server| server.is_math_moat()) {
                launches.push(Launch {
                    plugins,
                    cache,
                    server,
                });
            }
        }
    }
    let wanted = |launch: &Launch| match launch.cache {
        Cache::Cold => plan.cold_starts,
        Cache::Cached => plan.cached_starts,
    };
    let mut times: HashMap<Launch, Vec<Duration>> = HashMap::new();
    for &launch in launches.iter().filter(|launch| launch.cache == Cache::Cold) {
        let cache = fleet.cache(launch.server, launch.plugins);
        let time = cold(setup, fleet, launch, &cache).await?;
        times.entry(launch).or_default().push(time);
    }
    let rounds = launches.iter().map(wanted).max().unwrap_or(0);
    for round in 0..rounds {
        for launch in rotated(&launches, round) {
            let done = times.get(&launch).map_or(0, Vec::len);
            if done >= wanted(&launch) {
                continue;
            }
            let time = match launch.cache {
                Cache::Cold => cold(setup, fleet, launch, fleet.empty_cache()?.path()).await?,
                Cache::Cached => {
                    let cache = fleet.cache(launch.server, launch.plugins);
                    timed(setup, fleet, launch, &cache).await?
                }
            };
            times.entry(launch).or_default().push(time);
        }
    }
    Ok(times)
}

/// A cold launch with the empty compile cache `cache`, checked to have
/// compiled every plugin into it.
async fn cold(
    setup: &Setup,
    fleet: &Fleet,
    launch: Launch,
    cache: &Path,
) -> anyhow::Result<Duration> {
    let time = timed(setup, fleet, launch, cache).await?;
    let entries = cache_entries(cache)?;
    ensure!(
        entries == launch.plugins,
        "a cold start of {} with {} plugins left {entries} compile-cache entries in {}",
        launch.server.name(),
        launch.plugins,
        cache.display()
    );
    Ok(time)
}

/// Launches `launch` with the compile cache `cache`, and returns the time
/// from spawning the process to its complete tool list.
async fn timed(
    setup: &Setup,
    fleet: &Fleet,
    launch: Launch,
    cache: &Path,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let serving = serve(
        setup,
        launch.server,
        fleet,
        launch.plugins,
        cache,
        &launch.label(),
    )
    .await?;
    let time = started.elapsed();
    serving.client.cancel().await?;
    eprintln!(
        "  {:>8} {:>3} plugins {:<6} {:>9.1} ms",
        launch.server.name(),
        launch.plugins,
        launch.cache.label(),
        time.as_secs_f64() * 1e3
    );
    Ok(time)
}

/// A moat binary serving a plugin directory over stdio, with a client
/// connected.
pub struct Serving {
    /// The client.
    pub client: Client,
    /// The server's process id.
    pub pid: u32,
}

/// Starts the moat binary `server` on the directory of `plugins` plugins
/// with the compile cache `cache`, its stderr going to a log named after
/// `label`, connects, and checks that it lists `4 × plugins` tools.
pub async fn serve(
    setup: &Setup,
    server: Server,
    fleet: &Fleet,
    plugins: usize,
    cache: &Path,
    label: &str,
) -> anyhow::Result<Serving> {
    let transport = setup.moat_stdio(server, &fleet.dir(plugins), cache, label)?;
    let pid = transport
        .id()
        .with_context(|| format!("{} ({label}) exited at once", server.name()))?;
    let client = handshake(setup, server, label, transport).await?;
    let stderr = || setup.log_text(server, label);
    let tools = client.list_all_tools().await.with_context(|| {
        format!(
            "tools/list on {} with {plugins} plugins; its stderr:\n{}",
            server.name(),
            stderr()
        )
    })?;
    ensure!(
        tools.len() == TOOLS * plugins,
        "{} with {plugins} plugins listed {} tools where {} were expected; its stderr:\n{}",
        server.name(),
        tools.len(),
        TOOLS * plugins,
        stderr()
    );
    Ok(Serving { client, pid })
}

/// The compiled components in a wasmtime cache directory: the files under
/// `modules/`, less the `.stats` and other bookkeeping files beside them.
fn cache_entries(cache: &Path) -> anyhow::Result<usize> {
    let modules = cache.join("modules");
    if !modules.exists() {
        return Ok(0);
    }
    let mut entries = 0;
    for compiler in std::fs::read_dir(modules)? {
        for file in std::fs::read_dir(compiler?.path())? {
            if !file?.file_name().to_string_lossy().contains('.') {
                entries += 1;
            }
        }
    }
    Ok(entries)
}
