//! `mcp-bench`: moat against the floor and against Python, with real servers
//! and real clients.
//!
//! ```sh
//! cargo build --release -p moat -p moat-bench && (cd plugins && cargo build --release)
//! cargo run --release -p moat-bench --bin mcp-bench            # about 6 minutes
//! cargo run --release -p moat-bench --bin mcp-bench -- --quick # a smoke check, under a minute
//! cargo run --release -p moat-bench --bin mcp-bench -- --servers moat,moat-py,moat-js,python
//! cargo run --release -p moat-bench --bin mcp-bench -- --quick --servers moat,native --only scaling
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
//! Opt-in by name in `--servers`, the same `moat` binary serving a Python or
//! JavaScript tool instead of the Rust math plugin, each with a plugin
//! directory and compile cache of its own (`make lang-fixtures` builds the
//! fixtures into `target/lang-fixtures/`):
//!
//! - **moat-py**, **moat-js**: the whole-server (`moat:plugin`) fixtures
//!   `py-server.wasm` (componentize-py) and `js-server.wasm` (jco, QuickJS),
//!   tools `mul`, `div`, `fail`, `chatty` (`--py-plugin`, `--js-plugin`);
//! - **moat-py-plain**, **moat-js-plain**: the plain typed fixtures
//!   `py-calc.wasm` and `js-calc.wasm` (`mul: func(x: f64, y: f64) -> f64`;
//!   `--py-plain-plugin`, `--js-plain-plugin`). A moat binary that does not
//!   serve plain components lists none of their tools: the first launch
//!   finds that, and the run leaves them out with a line saying why.
//!
//! Their `mul` answers `{"result": 425}` as structured content, as the
//! others' does, so every `tools/call` workload measures them alike.
//!
//! Each is started as its own process and measured, in one run, with:
//!
//! 1. **start-up**: launch over stdio until the rmcp client has finished the
//!    handshake and a `tools/list` (after one unmeasured launch that fills
//!    moat's compile cache, [`stdio::probe`]);
//! 2. **stdio `tools/call`**: sequential `mul` round trips on one stdio
//!    connection, with the rmcp client (median, p99, calls/s, and the
//!    server's CPU per call from `/proc/PID/stat`, [`cpu`]);
//! 3. **stdio `tools/list`**: the same with `tools/list`;
//! 4. **HTTP `tools/call`**: stateless (2026-07-28) `mul` calls over
//!    Streamable HTTP, driven by `wrk` at 1, 4, 16 and 64 connections
//!    (requests/s, wrk's median and p99, and the server's CPU per request).
//!
//! and, for moat and baseline only (the plugins are copies of the math
//! plugin; the other moat servers are skipped there, with a line saying so):
//!
//! 5. **start-up with 1, 20 and 100 plugins**, cold and cached
//!    ([`plugins`]);
//! 6. **resident memory**, idle, with no plugins and with 100 ([`memory`]);
//!
//! and, for moat, baseline and native only:
//!
//! 7. **scaling with cores**: HTTP `tools/call` requests/s and CPU per
//!    request of each server started under `taskset -c 0` (1 core) against
//!    `taskset -c 0,1` (2 cores), at 16 connections; moat and baseline with
//!    one plugin and with two, requests alternating between them
//!    ([`scaling`]; skipped, with a line saying why, without `taskset` or 2
//!    CPUs).
//!
//! `--only http,scaling` runs only the workloads named (`startup`,
//! `plugins`, `memory`, `stdio` for 2 and 3, `http`, `scaling`, which run in
//! that order); the report leaves out the tables of the others. The first launches (which check each
//! server and fill its compile cache) always run.
//!
//! Within each workload the servers take turns, batch by batch, and each
//! round starts with a different server, so drift on a shared machine hits
//! them all alike. The report, a markdown table per workload with the ratios
//! moat ÷ baseline, moat ÷ native, moat ÷ python, and moat-py, moat-js ÷
//! python and ÷ moat, goes to stdout; progress goes to stderr. `--plot
//! FILE.svg` also draws the HTTP and stdio figures ([`plot`]).

mod copies;
mod cpu;
mod http;
mod memory;
mod plot;
mod plugins;
mod report;
mod scaling;
mod servers;
mod setup;
mod stats;
mod stdio;
mod wrk;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::{Parser, ValueEnum as _};

use crate::servers::Server;

/// Command-line options.
#[derive(Parser)]
#[command(about = "Benchmark moat against a native rmcp server and a Python MCP server")]
struct Cli {
    /// A smoke check: every workload, briefly (under a minute).
    #[arg(long)]
    quick: bool,
    /// The servers to measure, comma-separated: moat, native, python, and
    /// (opt-in) moat-py, moat-js, moat-py-plain, moat-js-plain.
    #[arg(long, value_delimiter = ',', default_values = ["moat", "native", "python"])]
    servers: Vec<Server>,
    /// The `moat` binary [default: target/release/moat].
    #[arg(long)]
    moat: Option<PathBuf>,
    /// A second `moat` binary, measured beside moat in every workload as
    /// `baseline`, with a ratio moat ÷ baseline (before and after a change).
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,
    /// An argument added to `moat serve` of moat (not of baseline), e.g.
    /// `--moat-arg=--audit --moat-arg=/tmp/audit.log` to measure what the
    /// audit log costs against `--baseline` the same binary (repeatable).
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    moat_arg: Vec<String>,
    /// Also draw the HTTP and stdio `tools/call` figures as an SVG.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// The math plugin [default: plugins/target/wasm32-wasip2/release/math.wasm].
    #[arg(long)]
    math_wasm: Option<PathBuf>,
    /// The Python whole-server fixture, served by moat-py
    /// [default: target/lang-fixtures/py-server.wasm].
    #[arg(long, value_name = "PATH")]
    py_plugin: Option<PathBuf>,
    /// The JavaScript whole-server fixture, served by moat-js
    /// [default: target/lang-fixtures/js-server.wasm].
    #[arg(long, value_name = "PATH")]
    js_plugin: Option<PathBuf>,
    /// The plain typed Python fixture, served by moat-py-plain
    /// [default: target/lang-fixtures/py-calc.wasm].
    #[arg(long, value_name = "PATH")]
    py_plain_plugin: Option<PathBuf>,
    /// The plain typed JavaScript fixture, served by moat-js-plain
    /// [default: target/lang-fixtures/js-calc.wasm].
    #[arg(long, value_name = "PATH")]
    js_plain_plugin: Option<PathBuf>,
    /// The Python with `mcp` installed [default: target/venv/bin/python].
    #[arg(long)]
    python: Option<PathBuf>,
    /// The `wrk` binary.
    #[arg(long, default_value = "wrk")]
    wrk: PathBuf,
    /// Only these workloads, comma-separated (the report leaves out the
    /// tables of the others) [default: all].
    #[arg(long, value_delimiter = ',', value_name = "WORKLOADS")]
    only: Vec<Workload>,
}

/// A workload, as `--only` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Workload {
    /// Start-up over stdio.
    Startup,
    /// Start-up with 1, 20 and 100 plugins (moat and baseline).
    Plugins,
    /// Resident memory, idle (moat and baseline).
    Memory,
    /// Sequential `tools/call` and `tools/list` over stdio.
    Stdio,
    /// `tools/call` over HTTP, with wrk.
    Http,
    /// HTTP throughput on 1 core against 2, under `taskset`.
    Scaling,
}

impl Cli {
    /// The workloads to run, in the order they run.
    fn workloads(&self) -> Vec<Workload> {
        Workload::value_variants()
            .iter()
            .copied()
            .filter(|workload| self.only.is_empty() || self.only.contains(workload))
            .collect()
    }
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

/// Runs the workloads (all, or those of `--only`) and prints the report.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let plan = if cli.quick { Plan::QUICK } else { Plan::FULL };
    let servers = servers(&cli)?;
    let workloads = cli.workloads();
    if cli.plot.is_some()
        && !(workloads.contains(&Workload::Stdio) && workloads.contains(&Workload::Http))
    {
        bail!("--plot draws the stdio and http workloads: keep both in --only");
    }
    let temp = tempfile::tempdir()?;
    let setup = setup::setup(&cli, temp.path())?;
    let wrk = wrk::Wrk::find(&cli.wrk)?;
    let began = Instant::now();

    eprintln!("first launches");
    let (servers, skipped) = stdio::probe(&setup, &servers).await?;
    let mut report = report::Report::new(&plan, cli.quick, &servers, &skipped, &workloads);
    let runs = |workload| workloads.contains(&workload);
    if runs(Workload::Startup) {
        eprintln!("start-up ({} launches each)", plan.starts);
        report.starts = stdio::start_up(&setup, &servers, &plan).await?;
    }
    if runs(Workload::Plugins) || runs(Workload::Memory) {
        let others: Vec<&str> = servers
            .iter()
            .filter(|server| server.is_moat() && !server.is_math_moat())
            .map(|server| server.name())
            .collect();
        if !others.is_empty() {
            eprintln!(
                "start-up with many plugins and resident memory measure moat and baseline only \
                 (copies of the math plugin): {} skipped there",
                others.join(", ")
            );
        }
        let fleet = plugins::Fleet::create(temp.path(), &std::fs::read(&setup.math)?)?;
        if runs(Workload::Plugins) {
            eprintln!(
                "start-up with {:?} plugins ({} cold, {} cached launches each)",
                plugins::COUNTS,
                plan.cold_starts,
                plan.cached_starts
            );
            report.plugin_starts = plugins::start_up(&setup, &servers, &plan, &fleet).await?;
        }
        if runs(Workload::Memory) {
            eprintln!("resident memory, idle");
            report.memory = memory::measure(&setup, &servers, &plan, &fleet).await?;
        }
    }
    if runs(Workload::Stdio) {
        eprintln!("stdio: tools/call and tools/list");
        (report.calls, report.lists) = stdio::round_trips(&setup, &servers, &plan).await?;
    }
    if runs(Workload::Http) {
        eprintln!("HTTP: wrk at {:?} connections", plan.connections);
        report.http = wrk.measure(&setup, &servers, &plan, temp.path()).await?;
    }
    if runs(Workload::Scaling) {
        eprintln!(
            "scaling with cores: wrk at {} connections on {:?} cores",
            scaling::CONNECTIONS,
            scaling::CORES
        );
        report.scaling = scaling::measure(&wrk, &setup, &servers, &plan, temp.path()).await?;
    }
    report.elapsed = began.elapsed();

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_picks_workloads_in_the_order_they_run() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["mcp-bench"], args].concat());
        let all = parse(&[]).unwrap().workloads();
        assert_eq!(all, Workload::value_variants());
        let some = parse(&["--only", "scaling,http"]).unwrap().workloads();
        assert_eq!(some, [Workload::Http, Workload::Scaling]);
        assert!(parse(&["--only", "wrk"]).is_err());
    }
}
