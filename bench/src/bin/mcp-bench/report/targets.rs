//! The targets, where a run has the figures for them.

use std::fmt::Write as _;
use std::time::Duration;

use super::http_tables::HttpFigures;
use super::{Launches, Report, target};
use crate::plugins::{Cache, Launch};
use crate::servers::Server;
use crate::stats::Samples;

/// The plugin count whose cached start-up the issue sets a target for.
const TARGET_PLUGINS: usize = 20;

/// The servers serving a Python or JavaScript tool, which issue 13 wants
/// faster than the Python SDK's own server, each with whether its tool is
/// Python (which has a per-call CPU target too).
const LANGUAGES: [(Server, bool); 4] = [
    (Server::MoatPy, true),
    (Server::MoatJs, false),
    (Server::MoatPyPlain, true),
    (Server::MoatJsPlain, false),
];

/// Issue 13's per-call CPU target for a Python tool: half the about 2 ms of
/// CPU that moat spent on each Python call when the issue was written.
const PYTHON_CPU_TARGET: Duration = Duration::from_micros(1000);

impl Report<'_> {
    /// The targets, where this run has the figures for them.
    pub(super) fn targets(&self, out: &mut String) {
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
        for (server, python_tool) in LANGUAGES {
            let (Some(tool), Some(python)) = (calls(server), calls(Server::Python)) else {
                continue;
            };
            let value = tool.median.as_secs_f64() / python.median.as_secs_f64();
            lines.push(target(
                &format!("stdio `tools/call` median, {} ÷ python", server.name()),
                value,
                "below 1",
                value < 1.0,
            ));
            let cpu = tool.cpu_per_call.filter(|_| python_tool);
            if let Some(cpu) = cpu {
                let value = cpu.as_secs_f64() * 1e6;
                let goal = PYTHON_CPU_TARGET.as_micros();
                lines.push(target(
                    &format!("server CPU per stdio `tools/call`, {}, µs", server.name()),
                    value,
                    &format!("at most {goal}, half the issue's 2 ms"),
                    cpu <= PYTHON_CPU_TARGET,
                ));
            }
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
}
