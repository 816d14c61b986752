//! The HTTP tables: wrk's figures per connection count and server, and the
//! ratios between servers.

use std::collections::HashMap;
use std::time::Duration;

use super::{Report, duration_ratio, micros_or_na, ms, ratio, table};
use crate::servers::Server;
use crate::stats::median;
use crate::wrk::WrkRun;

/// What the table of one HTTP level shows for one server: the median of its
/// runs for each figure, and the errors of all of them.
#[derive(Clone, Copy)]
pub struct HttpFigures {
    /// Requests per second.
    pub per_second: f64,
    /// Median latency.
    pub median: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Requests completed, all runs.
    pub requests: u64,
    /// Failed requests, all runs.
    pub errors: u64,
    /// Server CPU time per completed request, if known.
    pub cpu_per_request: Option<Duration>,
}

impl HttpFigures {
    /// The figures of `runs`.
    pub fn of(runs: &[WrkRun]) -> Self {
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

impl Report<'_> {
    /// The HTTP tables: figures per connection count and server, then the
    /// ratios per connection count.
    pub(super) fn http(&self, out: &mut String) {
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
                    micros_or_na(f.cpu_per_request),
                    format!("{} / {}", f.errors, f.requests),
                ]);
            }
            for (server, other, label) in self.comparisons() {
                let (moat, other) = (figures[&server], figures[&other]);
                ratios.push(vec![
                    level.connections.to_string(),
                    label,
                    ratio(moat.per_second, other.per_second),
                    ratio(moat.median.as_secs_f64(), other.median.as_secs_f64()),
                    ratio(moat.p99.as_secs_f64(), other.p99.as_secs_f64()),
                    duration_ratio(moat.cpu_per_request, other.cpu_per_request),
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
}
