//! The report: a markdown table per workload, each with the ratios between
//! servers from the same run (moat ÷ baseline, moat ÷ native, moat ÷ python,
//! and each Python or JavaScript plugin ÷ python and ÷ moat), and the
//! issues' targets (each line naming its issue).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use clap::ValueEnum as _;

use crate::memory::Resident;
use crate::plugins::Launch;
use crate::scaling::Scaling;
use crate::servers::Server;
use crate::stats::{Samples, Summary};
use crate::stdio::Skipped;
use crate::wrk::HttpLevel;
use crate::{Plan, Workload};

mod format;
mod http_tables;
mod plugin_tables;
mod scaling_table;
mod targets;

use format::{Launches, duration_ratio, micros, micros_or_na, ms, ratio, row, table, target};

/// Everything measured in one run.
pub struct Report<'a> {
    /// What was measured.
    pub plan: &'a Plan,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// The servers, in the order measured.
    pub servers: &'a [Server],
    /// The servers asked for but left out, and why.
    pub skipped: &'a [Skipped],
    /// The workloads run (`--only`); the others' tables are left out.
    pub workloads: &'a [Workload],
    /// Start-up times.
    pub starts: HashMap<Server, Vec<Duration>>,
    /// Start-up times of the moat binaries with many plugins.
    pub plugin_starts: HashMap<Launch, Vec<Duration>>,
    /// Resident memory of the moat binaries, by plugin count.
    pub memory: HashMap<(Server, usize), Resident>,
    /// Sequential stdio `tools/call` round trips.
    pub calls: HashMap<Server, Samples>,
    /// Sequential stdio `tools/list` round trips.
    pub lists: HashMap<Server, Samples>,
    /// wrk runs at each connection count.
    pub http: Vec<HttpLevel>,
    /// wrk runs on 1 core and on 2.
    pub scaling: Scaling,
    /// How long the run took.
    pub elapsed: Duration,
}

impl<'a> Report<'a> {
    /// A report of `workloads` of `servers` with nothing measured yet; the
    /// run fills in what each workload measured.
    pub fn new(
        plan: &'a Plan,
        quick: bool,
        servers: &'a [Server],
        skipped: &'a [Skipped],
        workloads: &'a [Workload],
    ) -> Self {
        Self {
            plan,
            quick,
            servers,
            skipped,
            workloads,
            starts: HashMap::new(),
            plugin_starts: HashMap::new(),
            memory: HashMap::new(),
            calls: HashMap::new(),
            lists: HashMap::new(),
            http: Vec::new(),
            scaling: Scaling::default(),
            elapsed: Duration::ZERO,
        }
    }
}

/// The ratios the tables show, where both servers were measured: each
/// server's figure divided by the other's.
const COMPARISONS: [(Server, Server); 9] = [
    (Server::Moat, Server::Baseline),
    (Server::Moat, Server::Native),
    (Server::Moat, Server::Python),
    (Server::MoatPy, Server::Python),
    (Server::MoatJs, Server::Python),
    (Server::MoatPyPlain, Server::Python),
    (Server::MoatJsPlain, Server::Python),
    (Server::MoatPy, Server::Moat),
    (Server::MoatJs, Server::Moat),
];

impl Report<'_> {
    /// The whole report as markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let plan = self.plan;
        let _ = writeln!(
            out,
            "# mcp-bench{}\n",
            if self.quick { " --quick" } else { "" }
        );
        if self.quick {
            out.push_str("A smoke check: too few samples to quote.\n\n");
        }
        let _ = writeln!(
            out,
            "Run time {:.0} s. A ratio `a ÷ b` is server a's figure divided by server b's, \
             from this run: above 1 is a slower in latency and CPU columns and faster in \
             rate columns.\n",
            self.elapsed.as_secs_f64()
        );
        if self.workloads.len() < Workload::value_variants().len() {
            let names: Vec<String> = self
                .workloads
                .iter()
                .filter_map(|workload| Some(workload.to_possible_value()?.get_name().to_owned()))
                .collect();
            let _ = writeln!(out, "Workloads run (`--only`): {}.\n", names.join(", "));
        }
        for skipped in self.skipped {
            let _ = writeln!(
                out,
                "Left out: **{}**, which this moat binary does not serve: {}\n",
                skipped.server.name(),
                skipped.reason
            );
        }
        if self.ran(Workload::Startup) {
            self.start_up(&mut out);
        }
        if self.ran(Workload::Plugins) || self.ran(Workload::Memory) {
            self.not_math(&mut out, "Start-up with many plugins and resident memory");
        }
        self.plugin_starts(&mut out);
        self.memory(&mut out);
        if self.ran(Workload::Stdio) {
            let _ = writeln!(
                out,
                "## `tools/call mul`, sequential, one stdio connection\n\n\
                 {} rounds of {} calls per server after {} warm-up calls. Server CPU: the \
                 server process's user + system time over the batches (`/proc/PID/stat`, all \
                 threads, in 10 ms clock ticks) ÷ the calls; n/a under {} ms in all.\n",
                plan.rounds,
                plan.calls,
                plan.warmup,
                crate::stats::MEASURABLE_CPU.as_millis()
            );
            self.round_trips(&mut out, &self.calls, "calls/s");
            let _ = writeln!(
                out,
                "## `tools/list`, sequential, one stdio connection\n\n\
                 {} rounds of {} lists per server.\n",
                plan.rounds, plan.lists
            );
            self.round_trips(&mut out, &self.lists, "lists/s");
        }
        if self.ran(Workload::Http) {
            let _ = writeln!(
                out,
                "## `tools/call mul` over Streamable HTTP, stateless (2026-07-28), wrk\n\n\
                 `wrk -t1 -cN --latency`, {} run(s) of {:.1} s per server and connection \
                 count (the median of the runs is shown), after a {:.1} s warm-up at {} \
                 connections.\n",
                plan.http_rounds,
                plan.http_duration.as_secs_f64(),
                plan.http_warmup.as_secs_f64(),
                crate::wrk::WARMUP_CONNECTIONS,
            );
            self.http(&mut out);
        }
        if self.ran(Workload::Scaling) {
            self.scaling(&mut out);
        }
        self.targets(&mut out);
        out
    }

    /// Whether `workload` was run.
    fn ran(&self, workload: Workload) -> bool {
        self.workloads.contains(&workload)
    }

    /// A line saying that `workloads`, made of copies of the math plugin,
    /// leave out the moat servers of other plugins, if any were measured.
    fn not_math(&self, out: &mut String, workloads: &str) {
        let others: Vec<&str> = self
            .servers
            .iter()
            .filter(|server| server.is_moat() && !server.is_math_moat())
            .map(|server| server.name())
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "{workloads} measure moat and baseline only (the plugins are copies of the \
                 math plugin): {} not measured there.\n",
                others.join(", ")
            );
        }
    }

    /// The start-up table.
    fn start_up(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "## Start-up over stdio\n\n\
             From spawning the server to the end of the first `tools/list`, after the \
             handshake; {} launch(es) per server after one unmeasured launch (moat's \
             compile cache is warm).\n",
            self.plan.starts
        );
        let launches = |server: Server| Launches::of(self.starts.get(&server));
        let mut rows = Vec::new();
        for &server in self.servers {
            rows.push(row(&[server.name()], launches(server).cells()));
        }
        for (server, other, label) in self.comparisons() {
            let ratios = launches(server).ratios(&launches(other));
            rows.push(row(&[&label], ratios));
        }
        table(out, &["server", "median ms", "min ms", "max ms"], 1, &rows);
    }

    /// A table of sequential round trips, with the server's CPU per call.
    fn round_trips(&self, out: &mut String, samples: &HashMap<Server, Samples>, rate: &str) {
        let summaries: HashMap<Server, Summary> = samples
            .iter()
            .map(|(&server, samples)| (server, samples.summary()))
            .collect();
        let mut rows = Vec::new();
        for server in self.servers {
            let s = summaries[server];
            rows.push(vec![
                server.name().to_owned(),
                micros(s.median),
                micros(s.p99),
                format!("{:.0}", s.per_second),
                micros_or_na(s.cpu_per_call),
            ]);
        }
        for (server, other, label) in self.comparisons() {
            let (a, b) = (summaries[&server], summaries[&other]);
            rows.push(vec![
                label,
                ratio(a.median.as_secs_f64(), b.median.as_secs_f64()),
                ratio(a.p99.as_secs_f64(), b.p99.as_secs_f64()),
                ratio(a.per_second, b.per_second),
                duration_ratio(a.cpu_per_call, b.cpu_per_call),
            ]);
        }
        let headers = ["server", "median µs", "p99 µs", rate, "server CPU µs/call"];
        table(out, &headers, 1, &rows);
    }

    /// The ratios this run has both servers of: each as the server, the one
    /// it is divided by, and the label.
    fn comparisons(&self) -> impl Iterator<Item = (Server, Server, String)> + '_ {
        COMPARISONS
            .into_iter()
            .filter(|(server, other)| self.servers.contains(server) && self.servers.contains(other))
            .map(|(server, other)| {
                (
                    server,
                    other,
                    format!("{} ÷ {}", server.name(), other.name()),
                )
            })
    }

    /// The moat binaries measured with many plugins and idle memory: moat,
    /// and the baseline if any.
    fn moats(&self) -> impl Iterator<Item = Server> + '_ {
        self.servers
            .iter()
            .copied()
            .filter(|server| server.is_math_moat())
    }
}
