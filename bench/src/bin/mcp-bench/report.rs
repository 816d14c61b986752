//! The report: a markdown table per workload, each with the ratios moat ÷
//! baseline, moat ÷ native and moat ÷ python from the same run, and the
//! issue's targets.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::Plan;
use crate::memory::Resident;
use crate::plugins::{Cache, Launch};
use crate::servers::Server;
use crate::stats::{Samples, Summary, median};
use crate::wrk::{HttpLevel, WrkRun};

mod plugin_tables;

/// Everything measured in one run.
pub struct Report<'a> {
    /// What was measured.
    pub plan: &'a Plan,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// The servers, in the order measured.
    pub servers: &'a [Server],
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
    /// How long the run took.
    pub elapsed: Duration,
}

/// What the table of one HTTP level shows for one server: the median of its
/// runs for each figure, and the errors of all of them.
#[derive(Clone, Copy)]
struct HttpFigures {
    per_second: f64,
    median: Duration,
    p99: Duration,
    requests: u64,
    errors: u64,
    /// Server CPU time per completed request, if known.
    cpu_per_request: Option<Duration>,
}

impl HttpFigures {
    fn of(runs: &[WrkRun]) -> Self {
        let figure = |f: fn(&WrkRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Self {
            per_second: figure(|run| run.per_second),
            median: Duration::from_secs_f64(figure(|run| run.median.as_secs_f64())),
            p99: Duration::from_secs_f64(figure(|run| run.p99.as_secs_f64())),
            requests: runs.iter().map(|run| run.requests).sum(),
            errors: runs.iter().map(|run| run.errors).sum(),
            cpu_per_request: cpu_per_request(runs),
        }
    }
}

/// The server's CPU time over all `runs` divided by their requests.
fn cpu_per_request(runs: &[WrkRun]) -> Option<Duration> {
    let cpu: Option<Duration> = runs.iter().map(|run| run.server_cpu).sum();
    let requests: u64 = runs.iter().map(|run| run.requests).sum();
    Some(cpu? / u32::try_from(requests).ok().filter(|&n| n > 0)?)
}

/// The median, fastest and slowest of a server's launches.
struct Launches {
    median: Duration,
    min: Duration,
    max: Duration,
}

impl Launches {
    fn of(times: Option<&Vec<Duration>>) -> Self {
        let mut times = times.cloned().unwrap_or_default();
        times.sort_unstable();
        let at = |i: usize| times.get(i).copied().unwrap_or_default();
        Self {
            median: at((times.len().max(1) - 1) / 2),
            min: at(0),
            max: at(times.len().saturating_sub(1)),
        }
    }

    /// The median, minimum and maximum in milliseconds.
    fn cells(&self) -> [String; 3] {
        [ms(self.median), ms(self.min), ms(self.max)]
    }

    /// The ratios of the median, minimum and maximum to `other`'s.
    fn ratios(&self, other: &Self) -> [String; 3] {
        let ratio = |f: fn(&Self) -> Duration| ratio(f(self).as_secs_f64(), f(other).as_secs_f64());
        [ratio(|l| l.median), ratio(|l| l.min), ratio(|l| l.max)]
    }
}

/// A row of label cells followed by figure cells.
fn row<const N: usize>(labels: &[&str], figures: [String; N]) -> Vec<String> {
    labels
        .iter()
        .map(|label| label.to_string())
        .chain(figures)
        .collect()
}

/// The servers moat is compared with, and the label of each ratio.
const COMPARISONS: [(Server, &str); 3] = [
    (Server::Baseline, "moat ÷ baseline"),
    (Server::Native, "moat ÷ native"),
    (Server::Python, "moat ÷ python"),
];

/// The plugin count whose cached start-up the issue sets a target for.
const TARGET_PLUGINS: usize = 20;

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
            "Run time {:.0} s. Ratios are moat's figure divided by the other server's, \
             from this run: above 1 is moat slower in latency columns and faster in rate columns.\n",
            self.elapsed.as_secs_f64()
        );
        self.start_up(&mut out);
        self.plugin_starts(&mut out);
        self.memory(&mut out);
        let _ = writeln!(
            out,
            "## `tools/call mul`, sequential, one stdio connection\n\n\
             {} rounds of {} calls per server after {} warm-up calls.\n",
            plan.rounds, plan.calls, plan.warmup
        );
        self.round_trips(&mut out, &self.calls, "calls/s");
        let _ = writeln!(
            out,
            "## `tools/list`, sequential, one stdio connection\n\n\
             {} rounds of {} lists per server.\n",
            plan.rounds, plan.lists
        );
        self.round_trips(&mut out, &self.lists, "lists/s");
        let _ = writeln!(
            out,
            "## `tools/call mul` over Streamable HTTP, stateless (2026-07-28), wrk\n\n\
             `wrk -t1 -cN --latency`, {} run(s) of {:.1} s per server and connection count \
             (the median of the runs is shown), after a {:.1} s warm-up at {} connections.\n",
            plan.http_rounds,
            plan.http_duration.as_secs_f64(),
            plan.http_warmup.as_secs_f64(),
            crate::wrk::WARMUP_CONNECTIONS,
        );
        self.http(&mut out);
        self.targets(&mut out);
        out
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
        for (other, label) in self.comparisons() {
            let ratios = launches(Server::Moat).ratios(&launches(other));
            rows.push(row(&[label], ratios));
        }
        table(out, &["server", "median ms", "min ms", "max ms"], 1, &rows);
    }

    /// A table of sequential round trips.
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
            ]);
        }
        for (other, label) in self.comparisons() {
            let (moat, other) = (summaries[&Server::Moat], summaries[&other]);
            rows.push(vec![
                label.to_owned(),
                ratio(moat.median.as_secs_f64(), other.median.as_secs_f64()),
                ratio(moat.p99.as_secs_f64(), other.p99.as_secs_f64()),
                ratio(moat.per_second, other.per_second),
            ]);
        }
        table(out, &["server", "median µs", "p99 µs", rate], 1, &rows);
    }

    /// The HTTP tables: figures per connection count and server, then the
    /// ratios per connection count.
    fn http(&self, out: &mut String) {
        let mut rows = Vec::new();
        let mut ratios = Vec::new();
        for level in &self.http {
            let figures: HashMap<Server, HttpFigures> = level
                .runs
                .iter()
                .map(|(&server, runs)| (server, HttpFigures::of(runs)))
                .collect();
            for server in self.servers {
                let f = figures[server];
                rows.push(vec![
                    level.connections.to_string(),
                    server.name().to_owned(),
                    format!("{:.0}", f.per_second),
                    ms(f.median),
                    ms(f.p99),
                    f.cpu_per_request.map_or("n/a".into(), micros),
                    format!("{} / {}", f.errors, f.requests),
                ]);
            }
            for (other, label) in self.comparisons() {
                let (moat, other) = (figures[&Server::Moat], figures[&other]);
                ratios.push(vec![
                    level.connections.to_string(),
                    label.to_owned(),
                    ratio(moat.per_second, other.per_second),
                    ratio(moat.median.as_secs_f64(), other.median.as_secs_f64()),
                    ratio(moat.p99.as_secs_f64(), other.p99.as_secs_f64()),
                    match (moat.cpu_per_request, other.cpu_per_request) {
                        (Some(moat), Some(other)) => ratio(moat.as_secs_f64(), other.as_secs_f64()),
                        _ => "n/a".into(),
                    },
                ]);
            }
        }
        let headers = [
            "connections",
            "server",
            "requests/s",
            "median ms",
            "p99 ms",
            "server CPU µs/request",
            "errors / requests",
        ];
        table(out, &headers, 2, &rows);
        if !ratios.is_empty() {
            let headers = [
                "connections",
                "ratio",
                "requests/s",
                "median",
                "p99",
                "server CPU/request",
            ];
            table(out, &headers, 2, &ratios);
        }
    }

    /// The targets, where this run has the figures for them.
    fn targets(&self, out: &mut String) {
        let mut lines = Vec::new();
        let calls = |server| self.calls.get(&server).map(Samples::summary);
        if let (Some(moat), Some(native)) = (calls(Server::Moat), calls(Server::Native)) {
            let value = moat.median.as_secs_f64() / native.median.as_secs_f64();
            lines.push(target(
                "stdio `tools/call` median, moat ÷ native",
                value,
                "at most 1.2",
                value <= 1.2,
            ));
        }
        let level = self.http.iter().find(|level| level.connections == 16);
        let rate = |server| {
            level
                .and_then(|level| level.runs.get(&server))
                .map(|runs| HttpFigures::of(runs).per_second)
        };
        if let (Some(moat), Some(native)) = (rate(Server::Moat), rate(Server::Native)) {
            let value = moat / native;
            lines.push(target(
                "HTTP requests/s at 16 connections, moat ÷ native",
                value,
                "at least 0.7",
                value >= 0.7,
            ));
        }
        if let (Some(moat), Some(python)) = (rate(Server::Moat), rate(Server::Python)) {
            let value = moat / python;
            lines.push(target(
                "HTTP requests/s at 16 connections, moat ÷ python",
                value,
                "above 10",
                value > 10.0,
            ));
        }
        let cached = self.plugin_starts.get(&Launch {
            plugins: TARGET_PLUGINS,
            cache: Cache::Cached,
            server: Server::Moat,
        });
        if cached.is_some() {
            let value = Launches::of(cached).median.as_secs_f64() * 1e3;
            lines.push(target(
                &format!("start-up with {TARGET_PLUGINS} plugins, cached, median ms"),
                value,
                "under 100",
                value < 100.0,
            ));
        }
        if let Some([Some(total), ..]) = self.per_idle_plugin(Server::Moat) {
            let value = total / 1e6;
            lines.push(target(
                "resident memory per idle plugin, MB (VmRSS)",
                value,
                "under 2",
                value < 2.0,
            ));
        }
        if !lines.is_empty() {
            out.push_str("## The issue's targets\n\n");
            for line in lines {
                let _ = writeln!(out, "- {line}");
            }
        }
    }

    /// The servers moat is compared with in this run.
    fn comparisons(&self) -> impl Iterator<Item = (Server, &'static str)> + '_ {
        COMPARISONS.into_iter().filter(|(other, _)| {
            self.servers.contains(&Server::Moat) && self.servers.contains(other)
        })
    }

    /// The moat binaries measured: moat, and the baseline if any.
    fn moats(&self) -> impl Iterator<Item = Server> + '_ {
        self.servers
            .iter()
            .copied()
            .filter(|server| server.is_moat())
    }
}

/// One line on a target: the figure, the target and whether it is met.
fn target(what: &str, value: f64, goal: &str, met: bool) -> String {
    let verdict = if met { "met" } else { "missed" };
    format!("{what}: {value:.2} (target {goal}): **{verdict}**")
}

/// `value ÷ base` with two decimals.
fn ratio(value: f64, base: f64) -> String {
    if base > 0.0 {
        format!("{:.2}", value / base)
    } else {
        "n/a".to_owned()
    }
}

/// A duration in microseconds, with one decimal.
fn micros(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

/// A duration in milliseconds, with two decimals.
fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

/// A markdown table, its columns padded to line up: the first `labels`
/// columns left-aligned, the figures after them right-aligned.
fn table(out: &mut String, headers: &[&str], labels: usize, rows: &[Vec<String>]) {
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .chain([headers[column].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| match i < labels {
                true => format!("{cell:<w$}"),
                false => format!("{cell:>w$}"),
            })
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(headers.iter().map(|h| h.to_string()).collect()));
    let rule = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| match i < labels {
            true => "-".repeat(w),
            false => format!("{}:", "-".repeat(w.saturating_sub(1))),
        })
        .collect();
    out.push_str(&line(rule));
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out.push('\n');
}
