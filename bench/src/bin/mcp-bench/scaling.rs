//! Scaling with cores: HTTP `tools/call` throughput of each server allowed
//! one core against the same server allowed two. Each is started under
//! `taskset -c CPUS` (util-linux), which pins the process before it runs, so
//! that its `available_parallelism`, and with it tokio's worker count, is
//! the pinned set.
//!
//! moat and baseline are measured twice, since calls to one plugin and
//! calls to different plugins should both run in parallel across cores:
//!
//! - **one plugin**: `math.wasm` alone; every request calls `mul`;
//! - **two plugins**: `math.wasm` and `math2.wasm`, a distinct copy
//!   ([`distinct`]) whose manifest serves its tools with the prefix `m2`;
//!   requests alternate between `mul` and `m2_mul`.
//!
//! native, the floor, serves its tools built in; the other servers are not
//! measured here. Every configuration is started and warmed up, then they
//! take turns, wrk run by wrk run at [`CONNECTIONS`] connections, each round
//! starting with another. wrk itself is not pinned: on a machine of 2 cores
//! it shares them with a server allowed both.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::Plan;
use crate::copies::distinct;
use crate::http::{HttpServer, free_port};
use crate::plugins::add_plugin;
use crate::servers::{Server, Setup};
use crate::stats::rotated;
use crate::wrk::{Wrk, WrkRun, turns_script};

/// The connections wrk keeps open, in every run and warm-up.
pub const CONNECTIONS: usize = 16;

/// The core counts compared: a server allowed `n` cores runs on CPUs 0 to
/// `n` − 1.
pub const CORES: [usize; 2] = [1, 2];

/// What a server serves in this workload, hence which tools wrk calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plugins {
    /// native's own tools, no plugin: every request calls `mul`.
    Builtin,
    /// `math.wasm` alone: every request calls `mul`.
    One,
    /// `math.wasm` and `math2.wasm` (tools prefixed `m2`): requests
    /// alternate between `mul` and `m2_mul`.
    Two,
}

impl Plugins {
    /// Every variant.
    const ALL: [Self; 3] = [Self::Builtin, Self::One, Self::Two];

    /// The variants `server` is measured in; none for the servers this
    /// workload leaves out.
    pub fn of(server: Server) -> &'static [Self] {
        match server {
            Server::Moat | Server::Baseline => &[Self::One, Self::Two],
            Server::Native => &[Self::Builtin],
            _ => &[],
        }
    }

    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Builtin => "built in",
            Self::One => "1",
            Self::Two => "2",
        }
    }

    /// The tools the requests call, in turn.
    fn tools(self) -> &'static [&'static str] {
        match self {
            Self::Builtin | Self::One => &["mul"],
            Self::Two => &["mul", "m2_mul"],
        }
    }
}

/// One server as this workload starts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pinned {
    /// Which server.
    pub server: Server,
    /// What it serves.
    pub plugins: Plugins,
    /// How many cores it may run on.
    pub cores: usize,
}

impl Pinned {
    /// The CPU list `taskset -c` takes: `0`, `0,1`.
    fn cpus(self) -> String {
        let cpus: Vec<String> = (0..self.cores).map(|cpu| cpu.to_string()).collect();
        cpus.join(",")
    }

    /// How its log file is named.
    fn label(self) -> String {
        let plugins = match self.plugins {
            Plugins::Builtin => "builtin",
            Plugins::One => "1-plugin",
            Plugins::Two => "2-plugins",
        };
        format!("scaling-{plugins}-{}-cores", self.cores)
    }
}

/// What the workload measured.
#[derive(Default)]
pub struct Scaling {
    /// Why nothing was measured, if so: `taskset` is missing, or the
    /// process may not use CPUs 0 and 1.
    pub skipped: Option<String>,
    /// Each configuration's wrk runs, one per round.
    pub runs: HashMap<Pinned, Vec<WrkRun>>,
}

/// Starts each of `servers` this workload measures, in each of its variants
/// on each of [`CORES`], warms each up for `plan.http_warmup`, then runs wrk
/// against each in turn, `plan.http_rounds` times for `plan.http_duration`.
pub async fn measure(
    wrk: &Wrk,
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
    temp: &Path,
) -> anyhow::Result<Scaling> {
    if let Err(reason) = check_taskset() {
        eprintln!("  skipped: {reason}");
        return Ok(Scaling {
            skipped: Some(reason),
            ..Scaling::default()
        });
    }
    let left_out: Vec<&str> = servers
        .iter()
        .filter(|&&server| Plugins::of(server).is_empty())
        .map(|server| server.name())
        .collect();
    if !left_out.is_empty() {
        eprintln!(
            "  scaling with cores measures moat, baseline and native: {} skipped there",
            left_out.join(", ")
        );
    }
    let two = two_plugins(setup, temp)?;
    let mut scripts = HashMap::new();
    for plugins in Plugins::ALL {
        let path = temp.join(format!("turns-{}.lua", plugins.tools().join("-")));
        std::fs::write(&path, turns_script(plugins.tools()))?;
        scripts.insert(plugins, path);
    }
    let mut configs = Vec::new();
    for &server in servers {
        for &plugins in Plugins::of(server) {
            for cores in CORES {
                configs.push(Pinned {
                    server,
                    plugins,
                    cores,
                });
            }
        }
    }
    let mut running = HashMap::new();
    for &pinned in &configs {
        let http = start(setup, pinned, &two).await?;
        let script = &scripts[&pinned.plugins];
        wrk.run(&http, script, CONNECTIONS, plan.http_warmup)
            .await?;
        running.insert(pinned, http);
    }
    let mut runs: HashMap<Pinned, Vec<WrkRun>> = HashMap::new();
    for round in 0..plan.http_rounds {
        for pinned in rotated(&configs, round) {
            let script = &scripts[&pinned.plugins];
            let run = wrk
                .run(&running[&pinned], script, CONNECTIONS, plan.http_duration)
                .await?;
            eprintln!(
                "  {:>8} plugins {:<8} {} core(s): {:>8.0} requests/s",
                pinned.server.name(),
                pinned.plugins.label(),
                pinned.cores,
                run.per_second
            );
            runs.entry(pinned).or_default().push(run);
        }
    }
    for (_, http) in running {
        http.stop().await?;
    }
    Ok(Scaling {
        skipped: None,
        runs,
    })
}

/// Whether `taskset -c 0,1` runs a program: taskset is installed and this
/// process may use CPUs 0 and 1; if not, why.
fn check_taskset() -> Result<(), String> {
    match std::process::Command::new("taskset")
        .args(["-c", "0,1", "true"])
        .output()
    {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "`taskset -c 0,1 true` failed (the workload needs CPUs 0 and 1): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(error) if error.kind() == ErrorKind::NotFound => {
            Err("taskset is not installed (it is part of util-linux)".to_owned())
        }
        Err(error) => Err(format!("cannot run taskset: {error}")),
    }
}

/// Writes the plugin directory of the two-plugin variant under `temp`:
/// `math.wasm`, and `math2.wasm`, a distinct copy of it, with a manifest
/// that serves its tools as `m2_TOOL`.
fn two_plugins(setup: &Setup, temp: &Path) -> anyhow::Result<PathBuf> {
    let dir = temp.join("plugins-scaling-two");
    std::fs::create_dir_all(&dir)?;
    let math = std::fs::read(&setup.math)?;
    std::fs::write(dir.join("math.wasm"), &math)?;
    add_plugin(&dir, "math2", &distinct(&math, "math2"), "m2")?;
    Ok(dir)
}

/// Starts `pinned` under `taskset`, moat's two-plugin variant serving
/// `two`, and checks that every tool wrk will call answers 425.
async fn start(setup: &Setup, pinned: Pinned, two: &Path) -> anyhow::Result<HttpServer> {
    let addr = free_port()?;
    let plugins = (pinned.plugins == Plugins::Two).then_some(two);
    let command = taskset(
        &setup.http_command(pinned.server, addr, plugins)?,
        &pinned.cpus(),
    );
    let log = setup.log_path(pinned.server, &pinned.label());
    let http = HttpServer::start(pinned.server, addr, command, log).await?;
    for tool in pinned.plugins.tools() {
        http.ready(tool).await?;
    }
    Ok(http)
}

/// `command` run by `taskset -c CPUS`, which sets the CPU affinity and then
/// executes it: the server is the same process, pinned from its start.
fn taskset(command: &Command, cpus: &str) -> Command {
    let inner = command.as_std();
    let mut pinned = Command::new("taskset");
    pinned
        .arg("-c")
        .arg(cpus)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (name, value) in inner.get_envs() {
        match value {
            Some(value) => pinned.env(name, value),
            None => pinned.env_remove(name),
        };
    }
    pinned
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn taskset_runs_the_command_with_its_arguments_and_environment() {
        let mut command = Command::new("moat");
        command.arg("serve").env("MOAT_STARTUP_WAIT", "10m");
        let pinned = Pinned {
            server: Server::Moat,
            plugins: Plugins::Two,
            cores: 2,
        };
        let wrapped = taskset(&command, &pinned.cpus());
        let wrapped = wrapped.as_std();
        assert_eq!(wrapped.get_program(), "taskset");
        let args: Vec<&OsStr> = wrapped.get_args().collect();
        assert_eq!(args, ["-c", "0,1", "moat", "serve"]);
        let envs: Vec<_> = wrapped.get_envs().collect();
        assert_eq!(
            envs,
            [(OsStr::new("MOAT_STARTUP_WAIT"), Some(OsStr::new("10m")))]
        );
    }
}
