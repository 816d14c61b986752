//! The scaling table: each server's HTTP throughput on 1 core and on 2, and
//! its CPU per request on each.

use std::fmt::Write as _;

use super::http_tables::HttpFigures;
use super::{Report, micros_or_na, ratio, table};
use crate::scaling::{CONNECTIONS, CORES, Pinned, Plugins};

impl Report<'_> {
    /// The scaling table, or why the workload was skipped.
    pub(super) fn scaling(&self, out: &mut String) {
        let plan = self.plan;
        let _ = writeln!(
            out,
            "## Scaling with cores: `tools/call` over Streamable HTTP, wrk\n\n\
             Each server started under `taskset -c 0` (1 core) and under `taskset -c 0,1` \
             (2 cores); `wrk -t1 -c{CONNECTIONS}` (not pinned), {} run(s) of {:.1} s each \
             (the median is shown), after a {:.1} s warm-up. With 1 plugin every request \
             calls `mul`; with 2 (`math.wasm` and a copy whose tools have the prefix `m2`) \
             requests alternate between `mul` and `m2_mul`. Server CPU µs/request: the \
             server's CPU time over the runs ÷ their requests.\n",
            plan.http_rounds,
            plan.http_duration.as_secs_f64(),
            plan.http_warmup.as_secs_f64(),
        );
        if let Some(reason) = &self.scaling.skipped {
            let _ = writeln!(out, "Skipped: {reason}.\n");
            return;
        }
        let left_out: Vec<&str> = self
            .servers
            .iter()
            .filter(|&&server| Plugins::of(server).is_empty())
            .map(|server| server.name())
            .collect();
        if !left_out.is_empty() {
            let _ = writeln!(
                out,
                "This workload measures moat, baseline and native: {} not measured here.\n",
                left_out.join(", ")
            );
        }
        let mut rows = Vec::new();
        for &server in self.servers {
            for &plugins in Plugins::of(server) {
                let [one, two] = CORES.map(|cores| {
                    let pinned = Pinned {
                        server,
                        plugins,
                        cores,
                    };
                    HttpFigures::of(self.scaling.runs.get(&pinned).map_or(&[], Vec::as_slice))
                });
                let (errors, requests) = (one.errors + two.errors, one.requests + two.requests);
                rows.push(vec![
                    server.name().to_owned(),
                    plugins.label().to_owned(),
                    format!("{:.0}", one.per_second),
                    format!("{:.0}", two.per_second),
                    ratio(two.per_second, one.per_second),
                    micros_or_na(one.cpu_per_request),
                    micros_or_na(two.cpu_per_request),
                    format!("{errors} / {requests}"),
                ]);
            }
        }
        let headers = [
            "server",
            "plugins",
            "1 core requests/s",
            "2 cores requests/s",
            "2 cores ÷ 1 core",
            "1 core CPU µs/request",
            "2 cores CPU µs/request",
            "errors / requests",
        ];
        table(out, &headers, 2, &rows);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use crate::report::Report;
    use crate::scaling::{Pinned, Plugins, Scaling};
    use crate::servers::Server;
    use crate::wrk::WrkRun;
    use crate::{Plan, Workload};

    #[test]
    fn a_row_per_server_and_plugins_with_the_ratio_of_cores() {
        let servers = [Server::Moat, Server::Native, Server::Python];
        let mut runs = HashMap::new();
        for (server, plugins) in [
            (Server::Moat, Plugins::One),
            (Server::Moat, Plugins::Two),
            (Server::Native, Plugins::Builtin),
        ] {
            for cores in [1, 2] {
                let run = WrkRun {
                    per_second: [1000.0, 1800.0][cores - 1],
                    median: Duration::from_millis(1),
                    p99: Duration::from_millis(2),
                    requests: 4000,
                    errors: 0,
                    server_cpu: Some(Duration::from_millis(200)),
                };
                let pinned = Pinned {
                    server,
                    plugins,
                    cores,
                };
                runs.insert(pinned, vec![run]);
            }
        }
        let report = Report {
            scaling: Scaling {
                skipped: None,
                runs,
            },
            ..Report::new(&Plan::QUICK, true, &servers, &[], &[Workload::Scaling])
        };
        let markdown = report.markdown();
        let row = |server: &str, plugins: &str| {
            markdown
                .lines()
                .find(|line| line.starts_with(&format!("| {server} ")) && line.contains(plugins))
                .map(|line| line.split('|').map(str::trim).collect::<Vec<_>>())
        };
        let cells = [
            "", "moat", "2", "1000", "1800", "1.80", "50.0", "50.0", "0 / 8000", "",
        ];
        assert_eq!(row("moat", "| 2 "), Some(cells.to_vec()));
        assert!(row("native", "built in").is_some());
        assert!(markdown.contains("python not measured here"));
        assert!(markdown.contains("Workloads run (`--only`): scaling."));
        assert!(!markdown.contains("## Start-up"));
        assert!(!markdown.contains("wrk -t1 -cN"));
    }
}
