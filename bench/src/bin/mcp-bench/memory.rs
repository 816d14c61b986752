//! Resident memory of moat and baseline, idle, with no plugins and with
//! [`IDLE_PLUGINS`] plugins (from the compile cache the plugin start-ups
//! filled, or else one unmeasured launch fills), read from
//! `/proc/PID/status` (Linux).
//!
//! Each launch connects, lists the tools (checked), then leaves the server
//! alone for [`SETTLE`] before reading its memory, so that what is measured
//! is a server that has loaded everything and answered a client, idle.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;

use crate::Plan;
use crate::plugins::{Fleet, serve};
use crate::servers::{Server, Setup};
use crate::stats::median;

/// The plugins loaded for the idle measurement.
pub const IDLE_PLUGINS: usize = 100;

/// How long the server is left idle before its memory is read.
pub const SETTLE: Duration = Duration::from_millis(500);

/// A process's resident memory, in bytes, from `/proc/PID/status`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Resident {
    /// `VmRSS`: all resident pages.
    pub total: u64,
    /// `RssAnon`: resident anonymous pages (heap, stacks, instance memory),
    /// if the kernel reports it.
    pub anon: Option<u64>,
    /// `RssFile`: resident file-backed pages (the binary, mapped code), if
    /// the kernel reports it.
    pub file: Option<u64>,
}

impl Resident {
    /// Reads `VmRSS`, `RssAnon` and `RssFile` from the text of
    /// `/proc/PID/status`, where they are given in kB (units of 1024 bytes).
    fn parse(status: &str) -> anyhow::Result<Self> {
        let field = |name: &str| -> Option<u64> {
            let line = status.lines().find(|line| line.starts_with(name))?;
            let kilobytes = line[name.len()..].trim().strip_suffix("kB")?;
            Some(kilobytes.trim().parse::<u64>().ok()? * 1024)
        };
        Ok(Self {
            total: field("VmRSS:").context("no VmRSS in /proc/PID/status")?,
            anon: field("RssAnon:"),
            file: field("RssFile:"),
        })
    }

    /// The median of each figure over `launches`.
    fn median(launches: &[Self]) -> Self {
        let of = |figure: fn(&Self) -> Option<u64>| {
            let values: Option<Vec<f64>> = launches
                .iter()
                .map(|r| figure(r).map(|v| v as f64))
                .collect();
            values.map(|values| median(&values) as u64)
        };
        Self {
            total: of(|r| Some(r.total)).unwrap_or(0),
            anon: of(|r| r.anon),
            file: of(|r| r.file),
        }
    }
}

/// The resident memory of moat and baseline among `servers`, idle with 0
/// and with [`IDLE_PLUGINS`] plugins: the median of `plan.memory_launches`
/// launches each, keyed by server and plugin count.
pub async fn measure(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
    fleet: &Fleet,
) -> anyhow::Result<HashMap<(Server, usize), Resident>> {
    let mut launches: HashMap<(Server, usize), Vec<Resident>> = HashMap::new();
    let moats: Vec<Server> = servers
        .iter()
        .copied()
        .filter(|s| s.is_math_moat())
        .collect();
    for &server in &moats {
        // Unmeasured: fills the compile cache, if the start-ups with many
        // plugins have not (`--only memory`).
        let cache = fleet.cache(server, IDLE_PLUGINS);
        let serving = serve(setup, server, fleet, IDLE_PLUGINS, &cache, "idle-fill").await?;
        serving.client.cancel().await?;
    }
    for _ in 0..plan.memory_launches {
        for &server in &moats {
            for plugins in [0, IDLE_PLUGINS] {
                let resident = idle(setup, server, fleet, plugins).await?;
                eprintln!(
                    "  {:>8} {plugins:>3} plugins idle: VmRSS {:.1} MB",
                    server.name(),
                    resident.total as f64 / 1e6
                );
                launches
                    .entry((server, plugins))
                    .or_default()
                    .push(resident);
            }
        }
    }
    Ok(launches
        .into_iter()
        .map(|(key, launches)| (key, Resident::median(&launches)))
        .collect())
}

/// Starts `server` with `plugins` plugins, lets it settle, and reads its
/// resident memory.
async fn idle(
    setup: &Setup,
    server: Server,
    fleet: &Fleet,
    plugins: usize,
) -> anyhow::Result<Resident> {
    let label = format!("{plugins}-plugins-idle");
    let cache = fleet.cache(server, plugins);
    let serving = serve(setup, server, fleet, plugins, &cache, &label).await?;
    tokio::time::sleep(SETTLE).await;
    let path = format!("/proc/{}/status", serving.pid);
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path} (resident memory needs Linux)"))?;
    serving.client.cancel().await?;
    Resident::parse(&status).with_context(|| format!("in {path}:\n{status}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_status() {
        let status = "Name:\tmoat\nVmHWM:\t   30000 kB\nVmRSS:\t   20480 kB\n\
                      RssAnon:\t    8192 kB\nRssFile:\t   12288 kB\nRssShmem:\t       0 kB\n";
        let resident = Resident::parse(status).unwrap();
        assert_eq!(
            resident,
            Resident {
                total: 20480 * 1024,
                anon: Some(8192 * 1024),
                file: Some(12288 * 1024),
            }
        );
        assert!(Resident::parse("Name:\tmoat\n").is_err());
    }
}
