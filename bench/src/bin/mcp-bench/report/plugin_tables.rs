//! The tables only moat and baseline have: start-up with many plugins, and
//! resident memory with idle plugins.

use std::fmt::Write as _;

use super::{Launches, Report, ms, ratio, row, table};
use crate::memory::{IDLE_PLUGINS, Resident, SETTLE};
use crate::plugins::{COUNTS, Cache, Launch};
use crate::servers::Server;

impl Report<'_> {
    /// The start-up tables with many plugins, for the moat binaries.
    pub(super) fn plugin_starts(&self, out: &mut String) {
        if self.plugin_starts.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "## Start-up with {} plugins\n\n\
             From spawning `moat serve --plugins DIR --cache CACHE` to the end of the first \
             `tools/list` (checked to list 4 tools per plugin), after the handshake. Each \
             plugin is a distinct copy of the math plugin. Cold: a new, empty compile cache \
             ({} launch(es)); cached: the cache the first cold launch filled ({} launch(es)).\n",
            COUNTS.map(|n| n.to_string()).join(", "),
            self.plan.cold_starts,
            self.plan.cached_starts
        );
        let launches = |plugins, cache, server| {
            Launches::of(self.plugin_starts.get(&Launch {
                plugins,
                cache,
                server,
            }))
        };
        let mut rows = Vec::new();
        for plugins in COUNTS {
            let count = plugins.to_string();
            for cache in Cache::BOTH {
                for server in self.moats() {
                    let cells = launches(plugins, cache, server).cells();
                    rows.push(row(&[&count, cache.label(), server.name()], cells));
                }
                if self.servers.contains(&Server::Baseline) {
                    let moat = launches(plugins, cache, Server::Moat);
                    let ratios = moat.ratios(&launches(plugins, cache, Server::Baseline));
                    rows.push(row(&[&count, cache.label(), "moat ÷ baseline"], ratios));
                }
            }
        }
        let headers = [
            "plugins",
            "compile cache",
            "server",
            "median ms",
            "min ms",
            "max ms",
        ];
        table(out, &headers, 3, &rows);

        let (first, last) = (COUNTS[0], COUNTS[COUNTS.len() - 1]);
        let _ = writeln!(
            out,
            "Each plugin beyond the first: (median with {last} plugins − median with {first}) \
             ÷ {}.\n",
            last - first
        );
        let mut rows = Vec::new();
        for server in self.moats() {
            let per_plugin = |cache| {
                let median = |plugins| launches(plugins, cache, server).median;
                let extra = median(last).saturating_sub(median(first));
                ms(extra / u32::try_from(last - first).unwrap_or(u32::MAX))
            };
            rows.push(row(
                &[server.name()],
                [per_plugin(Cache::Cold), per_plugin(Cache::Cached)],
            ));
        }
        table(out, &["server", "cold ms", "cached ms"], 1, &rows);
    }

    /// The resident memory table, for the moat binaries.
    pub(super) fn memory(&self, out: &mut String) {
        if self.memory.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "## Resident memory, idle\n\n\
             Each moat binary with no plugins and with {IDLE_PLUGINS} (from a filled compile \
             cache), after the handshake and a `tools/list`, left idle for {:.1} s; from \
             `/proc/PID/status`, the median of {} launch(es). 1 MB = 10⁶ bytes. Per idle \
             plugin: (with {IDLE_PLUGINS} − with none) ÷ {IDLE_PLUGINS}.\n",
            SETTLE.as_secs_f64(),
            self.plan.memory_launches
        );
        let mut rows = Vec::new();
        let per_plugin = "per idle plugin";
        for server in self.moats() {
            for plugins in [0, IDLE_PLUGINS] {
                let figures = self.memory.get(&(server, plugins)).map(resident_figures);
                let count = plugins.to_string();
                rows.push(row(&[server.name(), &count], megabytes(figures)));
            }
            rows.push(row(
                &[server.name(), per_plugin],
                megabytes(self.per_idle_plugin(server)),
            ));
        }
        if self.servers.contains(&Server::Baseline) {
            let count = IDLE_PLUGINS.to_string();
            let figures = |server| {
                self.memory
                    .get(&(server, IDLE_PLUGINS))
                    .map(resident_figures)
            };
            for (label, moat, baseline) in [
                (&count[..], figures(Server::Moat), figures(Server::Baseline)),
                (
                    per_plugin,
                    self.per_idle_plugin(Server::Moat),
                    self.per_idle_plugin(Server::Baseline),
                ),
            ] {
                let ratios: [String; 3] = std::array::from_fn(|i| {
                    match (moat.and_then(|m| m[i]), baseline.and_then(|b| b[i])) {
                        (Some(moat), Some(baseline)) => ratio(moat, baseline),
                        _ => "n/a".into(),
                    }
                });
                rows.push(row(&["moat ÷ baseline", label], ratios));
            }
        }
        let headers = ["server", "plugins", "VmRSS MB", "RssAnon MB", "RssFile MB"];
        table(out, &headers, 2, &rows);
    }

    /// `server`'s resident memory per idle plugin, in bytes (VmRSS,
    /// RssAnon, RssFile): the difference between [`IDLE_PLUGINS`] plugins
    /// and none, divided by [`IDLE_PLUGINS`].
    pub(super) fn per_idle_plugin(&self, server: Server) -> Option<[Option<f64>; 3]> {
        let none = resident_figures(self.memory.get(&(server, 0))?);
        let many = resident_figures(self.memory.get(&(server, IDLE_PLUGINS))?);
        Some(std::array::from_fn(|i| {
            Some((many[i]? - none[i]?) / IDLE_PLUGINS as f64)
        }))
    }
}

/// A process's resident memory in bytes: VmRSS, RssAnon, RssFile.
fn resident_figures(resident: &Resident) -> [Option<f64>; 3] {
    [
        Some(resident.total as f64),
        resident.anon.map(|bytes| bytes as f64),
        resident.file.map(|bytes| bytes as f64),
    ]
}

/// Amounts of memory in bytes, as megabytes (10⁶ bytes) with two decimals.
fn megabytes(figures: Option<[Option<f64>; 3]>) -> [String; 3] {
    std::array::from_fn(|i| {
        figures
            .and_then(|figures| figures[i])
            .map_or("n/a".into(), |bytes| format!("{:.2}", bytes / 1e6))
    })
}
