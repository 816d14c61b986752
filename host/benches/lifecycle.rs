//! The plugin lifecycle as a client sees it: how long after a plugin file is
//! written `moat serve --watch` sends `notifications/tools/list_changed`, and
//! how long `moat serve` takes from launch to a complete `tools/list` with no
//! plugin, 1 plugin and 20 plugins, with a cold compile cache, a populated
//! one, and `--no-cache`.
//!
//! ```sh
//! cargo bench -p moat --bench lifecycle
//! ```
//!
//! Everything goes through the `moat` binary and an rmcp client over stdio,
//! as a real client would. The 20 plugins are copies of the math sample,
//! each with its own tool prefix, and each made distinct by a custom section
//! appended to the component, so that every copy is its own compile-cache
//! entry and "cold" compiles all 20 (checked by counting the entries). The
//! start-up configurations are measured interleaved, the order rotating each
//! round, so that drift on a shared machine hits them all alike. The tables
//! go to stdout; `docs/performance.md` reports them. Run without `--bench`
//! (as `cargo test --benches` does), it measures each thing once, checks the
//! tool lists and exits.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use tokio::io::AsyncReadExt as _;
use tokio::process::{ChildStderr, Command};
use tokio::sync::mpsc;

use moat::watcher::SETTLE;

/// The `moat` binary measured.
const MOAT: &str = env!("CARGO_BIN_EXE_moat");

/// Plugins in the large start-up configuration.
const MANY: usize = 20;

/// Tools the math plugin serves.
const MATH_TOOLS: usize = 4;

/// The custom section that makes copies of the math plugin distinct.
const SECTION: &str = "moat-bench";

/// How long the directory is left alone before a measured change, so that
/// the watcher has acted on everything before (longer than [`SETTLE`]).
const QUIET: Duration = Duration::from_millis(500);

/// How long to wait for a notification before calling it lost.
const PATIENCE: Duration = Duration::from_secs(30);

/// How much to measure; [`Plan::SMOKE`] only checks that everything runs.
struct Plan {
    /// Launches per start-up configuration.
    starts: usize,
    /// Rounds of reloads; each adds a new plugin, removes it, adds a known
    /// one and removes it.
    reloads: usize,
}

impl Plan {
    const BENCH: Self = Self {
        starts: 7,
        reloads: 30,
    };
    const SMOKE: Self = Self {
        starts: 1,
        reloads: 1,
    };
}

/// Measures fully with `--bench`; otherwise only checks that everything runs.
fn main() -> anyhow::Result<()> {
    let plan = if std::env::args().any(|arg| arg == "--bench") {
        Plan::BENCH
    } else {
        Plan::SMOKE
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    tokio.block_on(run(plan))
}

/// Measures start-up, then reloads, and prints the tables.
async fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp = tempfile::tempdir()?;
    let math = std::fs::read(moat_test_artifacts::MATH)?;
    let mut starts = start_up(&plan, temp.path(), &math).await?;
    let mut reloads = reload(&plan, temp.path(), &math).await?;
    report(&plan, &mut starts, &mut reloads, started.elapsed());
    Ok(())
}

/// `component` with a custom section named [`SECTION`] holding `payload`
/// appended: the same plugin, but different bytes, hence a different
/// compile-cache entry.
fn distinct(component: &[u8], payload: &str) -> Vec<u8> {
    let mut contents = leb128(SECTION.len());
    contents.extend_from_slice(SECTION.as_bytes());
    contents.extend_from_slice(payload.as_bytes());
    let mut bytes = component.to_vec();
    bytes.push(0); // the custom section id
    bytes.extend(leb128(contents.len()));
    bytes.extend(contents);
    bytes
}

/// `n` as an unsigned LEB128 number.
fn leb128(mut n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            bytes.push(low);
            return bytes;
        }
        bytes.push(low | 0x80);
    }
}

/// Writes plugin `name` into `dir`: `bytes` as `NAME.wasm`, and a manifest
/// that serves its tools as `PREFIX_TOOL`.
fn add_plugin(dir: &Path, name: &str, bytes: &[u8], prefix: &str) -> anyhow::Result<()> {
    std::fs::write(dir.join(format!("{name}.wasm")), bytes)?;
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!("[tools]\nprefix = \"{prefix}\"\n"),
    )?;
    Ok(())
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

/// How `moat serve` is told to cache compiled plugins.
enum CacheMode {
    /// A new, empty `--cache` directory for every launch.
    Cold,
    /// The same `--cache` directory every time, populated before measuring.
    Cached(PathBuf),
    /// `--no-cache`.
    Off,
}

impl CacheMode {
    /// How the tables name it.
    fn label(&self) -> &'static str {
        match self {
            Self::Cold => "cold",
            Self::Cached(_) => "cached",
            Self::Off => "`--no-cache`",
        }
    }
}

/// One start-up configuration and its launch times.
struct Start {
    plugins: usize,
    dir: PathBuf,
    cache: CacheMode,
    times: Vec<Duration>,
}

/// Measures launches of `moat serve` with 0, 1 and [`MANY`] plugins.
async fn start_up(plan: &Plan, temp: &Path, math: &[u8]) -> anyhow::Result<Vec<Start>> {
    let mut starts = Vec::new();
    for plugins in [0, 1, MANY] {
        let dir = temp.join(format!("start-{plugins}"));
        std::fs::create_dir(&dir)?;
        for i in 0..plugins {
            let bytes = distinct(math, &format!("copy {i}"));
            add_plugin(&dir, &format!("math{i:02}"), &bytes, &format!("p{i:02}"))?;
        }
        let modes = if plugins == 0 {
            vec![CacheMode::Off]
        } else {
            let cached = temp.join(format!("cache-{plugins}"));
            vec![CacheMode::Cold, CacheMode::Cached(cached), CacheMode::Off]
        };
        for cache in modes {
            starts.push(Start {
                plugins,
                dir: dir.clone(),
                cache,
                times: Vec::with_capacity(plan.starts),
            });
        }
    }

    // Populates the cached configurations, and brings the binary and the
    // plugins into the page cache.
    for start in &starts {
        if let CacheMode::Cached(cache) = &start.cache {
            launch(&start.dir, Some(cache), start.plugins).await?;
            let entries = cache_entries(cache)?;
            anyhow::ensure!(
                entries == start.plugins,
                "{} plugins made {entries} cache entries",
                start.plugins
            );
        }
    }

    let n = starts.len();
    for round in 0..plan.starts {
        for k in 0..n {
            let start = &mut starts[(round + k) % n];
            let time = match &start.cache {
                CacheMode::Cold => {
                    let cache = tempfile::tempdir_in(temp)?;
                    let time = launch(&start.dir, Some(cache.path()), start.plugins).await?;
                    let entries = cache_entries(cache.path())?;
                    anyhow::ensure!(
                        entries == start.plugins,
                        "a cold start with {} plugins made {entries} cache entries",
                        start.plugins
                    );
                    time
                }
                CacheMode::Cached(cache) => launch(&start.dir, Some(cache), start.plugins).await?,
                CacheMode::Off => launch(&start.dir, None, start.plugins).await?,
            };
            start.times.push(time);
        }
    }
    Ok(starts)
}

/// Launches `moat serve` on `dir` with `--cache CACHE` (or `--no-cache`),
/// and returns the time until the client has initialised the session and
/// listed the tools, which must be `plugins` times the math plugin's.
async fn launch(dir: &Path, cache: Option<&Path>, plugins: usize) -> anyhow::Result<Duration> {
    let begin = Instant::now();
    let mut command = Command::new(MOAT);
    match cache {
        Some(cache) => command.arg("--cache").arg(cache),
        None => command.arg("--no-cache"),
    };
    command.arg("serve").arg("--plugins").arg(dir);
    let (transport, stderr) = TokioChildProcess::builder(command)
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = tokio::spawn(read_all(stderr.context("moat's stderr")?));
    let client = ().serve(transport).await.context("MCP handshake with moat")?;
    let tools = client.list_all_tools().await?;
    let time = begin.elapsed();
    client.cancel().await?;
    let log = stderr.await??;
    anyhow::ensure!(
        tools.len() == plugins * MATH_TOOLS,
        "{plugins} plugins served {} tools; moat said:\n{log}",
        tools.len()
    );
    Ok(time)
}

/// Everything moat writes to stderr, read as it comes so that a full pipe
/// never blocks it.
async fn read_all(mut stderr: ChildStderr) -> std::io::Result<String> {
    let mut log = String::new();
    stderr.read_to_string(&mut log).await?;
    Ok(log)
}

/// A client that reports when each `notifications/tools/list_changed`
/// arrived.
struct Notified(mpsc::UnboundedSender<Instant>);

impl ClientHandler for Notified {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.0.send(Instant::now());
    }
}

/// A kind of change to the plugin directory.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    /// A plugin appears whose bytes moat has never seen: it is compiled.
    AddNew,
    /// A plugin appears whose bytes are in the compile cache.
    AddKnown,
    /// A plugin's file is deleted: nothing is compiled.
    Remove,
}

impl Change {
    /// Every kind, in the order the tables list them.
    const ALL: [Self; 3] = [Self::AddNew, Self::AddKnown, Self::Remove];

    /// How the tables name it.
    fn label(self) -> &'static str {
        match self {
            Self::AddNew => "add a plugin, new bytes (compiled)",
            Self::AddKnown => "add a plugin, cached bytes",
            Self::Remove => "delete a plugin",
        }
    }
}

/// `moat serve --watch` with a client connected, and the plugin that comes
/// and goes.
struct Watched {
    dir: PathBuf,
    client: RunningService<RoleClient, Notified>,
    changes: mpsc::UnboundedReceiver<Instant>,
}

impl Watched {
    /// The plugin that comes and goes.
    const EXTRA: &str = "extra";
    /// What its tools are prefixed with.
    const PREFIX: &str = "x";

    /// Changes the directory, and returns the time from the change to the
    /// client being told. Checks that the tool list then reflects it.
    async fn measure(&mut self, change: Change, bytes: &[u8]) -> anyhow::Result<Duration> {
        let wasm = self.dir.join(format!("{}.wasm", Self::EXTRA));
        // Staged under a name the watcher ignores, then renamed into place,
        // as a careful deployment does.
        let staged = self.dir.join(format!("{}.staged", Self::EXTRA));
        if change != Change::Remove {
            std::fs::write(&staged, bytes)?;
        }
        tokio::time::sleep(QUIET).await;
        anyhow::ensure!(
            self.changes.try_recv().is_err(),
            "a notification nothing asked for"
        );

        let begin = Instant::now();
        match change {
            Change::Remove => std::fs::remove_file(&wasm)?,
            Change::AddNew | Change::AddKnown => std::fs::rename(&staged, &wasm)?,
        }
        let told = tokio::time::timeout(PATIENCE, self.changes.recv())
            .await
            .context("no list_changed notification")?
            .context("the client stopped")?;
        let time = told - begin;

        let tools = self.client.list_all_tools().await?;
        let extra = format!("{}_add", Self::PREFIX);
        let served = tools.iter().any(|tool| tool.name == extra);
        anyhow::ensure!(
            served == (change != Change::Remove),
            "after `{}`, `{extra}` served: {served}",
            change.label()
        );
        anyhow::ensure!(
            tools.len() == MATH_TOOLS * (1 + usize::from(served)),
            "{} tools served",
            tools.len()
        );
        Ok(time)
    }
}

/// The times measured for each [`Change`], in the order of [`Change::ALL`].
type Reloads = [Vec<Duration>; 3];

/// Measures write-to-notification times under `moat serve --watch`.
async fn reload(plan: &Plan, temp: &Path, math: &[u8]) -> anyhow::Result<Reloads> {
    let dir = temp.join("watched");
    std::fs::create_dir(&dir)?;
    std::fs::write(dir.join("math.wasm"), math)?;
    // The manifest waits for its plugin; a manifest alone is not a plugin.
    std::fs::write(
        dir.join(format!("{}.toml", Watched::EXTRA)),
        format!("[tools]\nprefix = \"{}\"\n", Watched::PREFIX),
    )?;
    let cache = temp.join("cache-watched");
    let mut command = Command::new(MOAT);
    command
        .arg("--cache")
        .arg(&cache)
        .arg("serve")
        .arg("--watch")
        .arg("--plugins")
        .arg(&dir);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()?;
    let (sender, changes) = mpsc::unbounded_channel();
    let client = Notified(sender).serve(transport).await?;
    let mut watched = Watched {
        dir,
        client,
        changes,
    };

    // Puts the known bytes into the compile cache.
    let known = distinct(math, "known");
    watched.measure(Change::AddKnown, &known).await?;
    watched.measure(Change::Remove, &[]).await?;

    let mut times: Reloads = Default::default();
    let mut record = |change: Change, time| times[change as usize].push(time);
    for round in 0..plan.reloads {
        let new = distinct(math, &format!("new {round}"));
        let adds = if round % 2 == 0 {
            [(Change::AddNew, &new), (Change::AddKnown, &known)]
        } else {
            [(Change::AddKnown, &known), (Change::AddNew, &new)]
        };
        for (add, bytes) in adds {
            record(add, watched.measure(add, bytes).await?);
            record(Change::Remove, watched.measure(Change::Remove, &[]).await?);
        }
    }
    watched.client.cancel().await?;
    Ok(times)
}

/// Prints the tables, ready for `docs/performance.md`.
fn report(plan: &Plan, starts: &mut [Start], reloads: &mut Reloads, elapsed: Duration) {
    let millis = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |sorted: &[Duration], q: usize| sorted[(sorted.len() - 1) * q / 100];
    for start in starts.iter_mut() {
        start.times.sort_unstable();
    }
    for times in reloads.iter_mut() {
        times.sort_unstable();
    }

    println!(
        "moat lifecycle benchmark: {} interleaved launches per start-up configuration, \
         {} reload rounds, settle window {} ms ({:.1} s in all)",
        plan.starts,
        plan.reloads,
        SETTLE.as_millis(),
        elapsed.as_secs_f64(),
    );
    println!();
    println!("| plugins | compile cache | median ms | min ms | max ms |");
    println!("| ------: | ------------- | --------: | -----: | -----: |");
    for start in starts.iter() {
        println!(
            "| {:>7} | {:<13} | {:>9.0} | {:>6.0} | {:>6.0} |",
            start.plugins,
            start.cache.label(),
            millis(at(&start.times, 50)),
            millis(at(&start.times, 0)),
            millis(at(&start.times, 100)),
        );
    }
    println!();
    let median = |plugins: usize, label: &str| {
        starts
            .iter()
            .find(|s| s.plugins == plugins && s.cache.label() == label)
            .map(|s| millis(at(&s.times, 50)))
    };
    for label in ["cold", "cached", "`--no-cache`"] {
        if let (Some(one), Some(many)) = (median(1, label), median(MANY, label)) {
            println!(
                "each plugin beyond the first, {label}: {:.1} ms",
                (many - one) / (MANY - 1) as f64
            );
        }
    }
    println!();
    println!(
        "| change to the plugin directory     | samples | median ms | p95 ms | min ms | max ms | median − settle ms |"
    );
    println!(
        "| ---------------------------------- | ------: | --------: | -----: | -----: | -----: | -----------------: |"
    );
    for change in Change::ALL {
        let times = &reloads[change as usize];
        let p50 = millis(at(times, 50));
        println!(
            "| {:<34} | {:>7} | {p50:>9.0} | {:>6.0} | {:>6.0} | {:>6.0} | {:>18.0} |",
            change.label(),
            times.len(),
            millis(at(times, 95)),
            millis(at(times, 0)),
            millis(at(times, 100)),
            p50 - millis(SETTLE),
        );
    }
}
