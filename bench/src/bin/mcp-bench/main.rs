//! `mcp-bench`: moat against the floor and against Python, with real servers
//! and real clients.
//!
//! ```sh
//! cargo build --release -p moat -p moat-bench && (cd plugins && cargo build --release)
//! cargo run --release -p moat-bench --bin mcp-bench            # about 4.5 minutes
//! cargo run --release -p moat-bench --bin mcp-bench -- --quick # a smoke check, under a minute
//! ```
//!
//! Three servers serve the same four math tools (`add`, `sub`, `mul`, `div`):
//!
//! - **moat**: `target/release/moat serve` with a plugin directory holding
//!   only `math.wasm` (`plugins/target/wasm32-wasip2/release/math.wasm`);
//!   with `--baseline`, a second moat binary runs beside it as **baseline**;
//! - **native**: `native-math`, this crate's plain rmcp server with no
//!   sandbox, configured as moat is: the floor;
//! - **python**: `bench/python/math_server.py`, the Python SDK's
//!   `MCPServer`, run by `target/venv/bin/python` (`make test-python`
//!   creates it; `--python` picks another interpreter).
//!
//! Each is started as its own process and measured, in one run, with:
//!
//! 1. **start-up**: launch over stdio until the rmcp client has finished the
//!    handshake and a `tools/list`;
//! 2. **stdio `tools/call`**: sequential `mul` round trips on one stdio
//!    connection, with the rmcp client (median, p99, calls/s);
//! 3. **stdio `tools/list`**: the same with `tools/list`;
//! 4. **HTTP `tools/call`**: stateless (2026-07-28) `mul` calls over
//!    Streamable HTTP, driven by `wrk` at 1, 4, 16 and 64 connections
//!    (requests/s, and wrk's median and p99).
//!
//! and, for the moat binaries only:
//!
//! 5. **start-up with 1, 20 and 100 plugins**, cold and cached
//!    ([`plugins`]);
//! 6. **resident memory**, idle, with no plugins and with 100 ([`memory`]).
//!
//! Within each workload the servers take turns, batch by batch, and each
//! round starts with a different server, so drift on a shared machine hits
//! them all alike. The report, a markdown table per workload with the ratios
//! moat ÷ baseline, moat ÷ native and moat ÷ python, goes to stdout;
//! progress goes to stderr. `--plot FILE.svg` also draws the HTTP and stdio
//! figures ([`plot`]).

mod copies;
mod memory;
mod plot;
mod plugins;
mod report;
mod servers;
mod stats;
mod stdio;
mod wrk;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::servers::{Server, Setup};

/// Command-line options.
#[derive(Parser)]
#[command(about = "Benchmark moat against a native rmcp server and a Python MCP server")]
struct Cli {
    /// A smoke check: every workload, briefly (under a minute).
    #[arg(long)]
    quick: bool,
    /// The servers to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_values = ["moat", "native", "python"])]
    servers: Vec<Server>,
    /// The `moat` binary [default: target/release/moat].
    #[arg(long)]
    moat: Option<PathBuf>,
    /// A second `moat` binary, measured beside moat in every workload as
    /// `baseline`, with a ratio moat ÷ baseline (before and after a change).
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,
    /// Also draw the HTTP and stdio `tools/call` figures as an SVG.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// The math plugin [default: plugins/target/wasm32-wasip2/release/math.wasm].
    #[arg(long)]
    math_wasm: Option<PathBuf>,
    /// The Python with `mcp` installed [default: target/venv/bin/python].
    #[arg(long)]
    python: Option<PathBuf>,
    /// The `wrk` binary.
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
}

/// How much to measure.
pub struct Plan {
    /// Measured launches per server.
    pub starts: usize,
    /// Launches per plugin count with a cold compile cache.
    pub cold_starts: usize,
    /// Launches per plugin count with a filled compile cache.
    pub cached_starts: usize,
    /// Launches per moat binary and plugin count for resident memory.
    pub memory_launches: usize,
    /// Unmeasured calls before the stdio measurements.
    pub warmup: usize,
    /// Rounds; in each, every server runs one batch.
    pub rounds: usize,
    /// `tools/call` round trips per batch.
    pub calls: usize,
    /// `tools/list` round trips per batch.
    pub lists: usize,
    /// HTTP connection counts.
    pub connections: &'static [usize],
    /// Rounds of wrk runs per connection count.
    pub http_rounds: usize,
    /// Length of each measured wrk run, in whole seconds (as wrk takes it).
    pub http_duration: Duration,
    /// Length of the unmeasured wrk run that warms each server up, in whole
    /// seconds.
    pub http_warmup: Duration,
}

impl Plan {
    const FULL: Self = Self {
        starts: 5,
        cold_starts: 3,
        cached_starts: 5,
        memory_launches: 3,
        warmup: 300,
        rounds: 10,
        calls: 500,
        lists: 100,
        connections: &[1, 4, 16, 64],
        http_rounds: 3,
        http_duration: Duration::from_secs(5),
        http_warmup: Duration::from_secs(2),
    };
    const QUICK: Self = Self {
        starts: 1,
        cold_starts: 1,
        cached_starts: 1,
        memory_launches: 1,
        warmup: 20,
        rounds: 2,
        calls: 100,
        lists: 20,
        connections: &[1, 4, 16, 64],
        http_rounds: 1,
        http_duration: Duration::from_secs(1),
        http_warmup: Duration::from_secs(1),
    };
}

/// Runs every workload and prints the report.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let plan = if cli.quick { Plan::QUICK } else { Plan::FULL };
    let servers = servers(&cli)?;
    let temp = tempfile::tempdir()?;
    let setup = setup(&cli, temp.path())?;
    let wrk = wrk::Wrk::find(&cli.wrk)?;
    let began = Instant::now();

    eprintln!("start-up ({} launches each)", plan.starts);
    let starts = stdio::start_up(&setup, &servers, &plan).await?;
    let fleet = plugins::Fleet::create(temp.path(), &std::fs::read(&setup.math)?)?;
    eprintln!(
        "start-up with {:?} plugins ({} cold, {} cached launches each)",
        plugins::COUNTS,
        plan.cold_starts,
        plan.cached_starts
    );
    let plugin_starts = plugins::start_up(&setup, &servers, &plan, &fleet).await?;
    eprintln!("resident memory, idle");
    let memory = memory::measure(&setup, &servers, &plan, &fleet).await?;
    eprintln!("stdio: tools/call and tools/list");
    let (calls, lists) = stdio::round_trips(&setup, &servers, &plan).await?;
    eprintln!("HTTP: wrk at {:?} connections", plan.connections);
    let http = wrk.measure(&setup, &servers, &plan, temp.path()).await?;

    let report = report::Report {
        plan: &plan,
        quick: cli.quick,
        servers: &servers,
        starts,
        plugin_starts,
        memory,
        calls,
        lists,
        http,
        elapsed: began.elapsed(),
    };
    print!("{}", report.markdown());
    if let Some(path) = &cli.plot {
        plot::draw(&report, path)?;
        eprintln!("plot written to {}", path.display());
    }
    Ok(())
}

/// The servers to measure, each once, in the order given, with `baseline`
/// right after moat if `--baseline` is given.
fn servers(cli: &Cli) -> anyhow::Result<Vec<Server>> {
    let mut servers: Vec<Server> = Vec::new();
    for &server in &cli.servers {
        if servers.contains(&server) {
            continue;
        }
        servers.push(server);
        if server == Server::Moat && cli.baseline.is_some() {
            servers.push(Server::Baseline);
        }
    }
    if cli.baseline.is_some() && !servers.contains(&Server::Moat) {
        bail!("--baseline is compared with moat: keep moat in --servers");
    }
    Ok(servers)
}

/// Finds what the servers need and checks that it is there, with a hint on
/// how to build what is missing.
fn setup(cli: &Cli, temp: &Path) -> anyhow::Result<Setup> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the workspace root")?;
    let here = std::env::current_exe()?;
    let bin_dir = here.parent().context("the directory of mcp-bench")?;
    let native = bin_dir.join("native-math");
    let moat = cli
        .moat
        .clone()
        .unwrap_or_else(|| root.join("target/release/moat"));
    let math = cli
        .math_wasm
        .clone()
        .unwrap_or_else(|| root.join("plugins/target/wasm32-wasip2/release/math.wasm"));
    let python = cli
        .python
        .clone()
        .unwrap_or_else(|| root.join("target/venv/bin/python"));
    let script = root.join("bench/python/math_server.py");
    require(&moat, "build it with `cargo build --release -p moat`")?;
    if let Some(baseline) = &cli.baseline {
        require(baseline, "--baseline names a moat binary")?;
    }
    require(&math, "build it with `cd plugins && cargo build --release`")?;
    require(
        &native,
        "build it with `cargo build --release -p moat-bench`",
    )?;
    if cli.servers.contains(&Server::Python) {
        require(
            &python,
            "create it with `make test-python`, or `python3 -m venv target/venv && \
             target/venv/bin/pip install -r bench/python/requirements.txt`; \
             or pass --python, or leave it out with --servers moat,native",
        )?;
        require(&script, "it is part of the repository")?;
    }
    let plugins = temp.join("plugins");
    std::fs::create_dir_all(&plugins)?;
    std::fs::copy(&math, plugins.join("math.wasm"))?;
    let logs = temp.join("logs");
    std::fs::create_dir_all(&logs)?;
    Ok(Setup {
        moat,
        baseline: cli.baseline.clone(),
        math,
        plugins,
        caches: temp.join("caches"),
        native,
        python,
        script,
        logs,
    })
}

/// Fails with `hint` unless `path` exists.
fn require(path: &Path, hint: &str) -> anyhow::Result<()> {
    if !path.exists() {
        bail!("{} is missing: {hint}", path.display());
    }
    Ok(())
}
