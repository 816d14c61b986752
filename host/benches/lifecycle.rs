//! The plugin lifecycle as a client sees it: how long after a plugin file is
//! written or deleted `moat serve --watch` sends
//! `notifications/tools/list_changed`.
//!
//! ```sh
//! cargo bench -p moat --bench lifecycle
//! ```
//!
//! Everything goes through the `moat` binary and an rmcp client over stdio,
//! as a real client would. The plugin that comes and goes is a copy of the
//! math sample, made distinct by a custom section appended to the component
//! where its bytes must be new to the compile cache. Start-up with 1, 20 and
//! 100 plugins, cold and cached, is measured by `mcp-bench` (`moat-bench`
//! crate), which shares the code that makes the copies. The table goes to
//! stdout; `docs/performance.md` reports it. Run without `--bench` (as
//! `cargo test --benches` does), it makes each change once, checks the tool
//! lists and exits.

#[path = "../../bench/src/bin/mcp-bench/copies.rs"]
mod copies;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use tokio::process::Command;
use tokio::sync::mpsc;

use copies::distinct;
use moat::plugins::watcher::SETTLE;

/// The `moat` binary measured.
const MOAT: &str = env!("CARGO_BIN_EXE_moat");

/// Tools the math plugin serves.
const MATH_TOOLS: usize = 4;

/// How long the directory is left alone before a measured change, so that
/// the watcher has acted on everything before (longer than [`SETTLE`]).
const QUIET: Duration = Duration::from_millis(500);

/// How long to wait for a notification before calling it lost.
const PATIENCE: Duration = Duration::from_secs(30);

/// How much to measure; [`Plan::SMOKE`] only checks that everything runs.
struct Plan {
    /// Rounds of reloads; each adds a new plugin, removes it, adds a known
    /// one and removes it.
    reloads: usize,
}

impl Plan {
    const BENCH: Self = Self { reloads: 30 };
    const SMOKE: Self = Self { reloads: 1 };
}

/// Measures fully with `--bench`; otherwise only checks that everything runs.
fn main() -> anyhow::Result<()> {
    let plan = if std::env::args().any(|arg| arg == "--bench") {
        Plan::BENCH
    } else {
        Plan::SMOKE
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    tokio.block_on(run(plan))
}

/// Measures reloads and prints the table.
async fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp = tempfile::tempdir()?;
    let math = std::fs::read(moat_test_artifacts::MATH)?;
    let mut reloads = reload(&plan, temp.path(), &math).await?;
    report(&plan, &mut reloads, started.elapsed());
    Ok(())
}

/// A client that reports when each `notifications/tools/list_changed`
/// arrived.
struct Notified(mpsc::UnboundedSender<Instant>);

impl ClientHandler for Notified {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.0.send(Instant::now());
    }
}

/// A kind of change to the plugin directory.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    /// A plugin appears whose bytes moat has never seen: it is compiled.
    AddNew,
    /// A plugin appears whose bytes are in the compile cache.
    AddKnown,
    /// A plugin's file is deleted: nothing is compiled.
    Remove,
}

impl Change {
    /// Every kind, in the order the tables list them.
    const ALL: [Self; 3] = [Self::AddNew, Self::AddKnown, Self::Remove];

    /// How the tables name it.
    fn label(self) -> &'static str {
        match self {
            Self::AddNew => "add a plugin, new bytes (compiled)",
            Self::AddKnown => "add a plugin, cached bytes",
            Self::Remove => "delete a plugin",
        }
    }
}

/// `moat serve --watch` with a client connected, and the plugin that comes
/// and goes.
struct Watched {
    dir: PathBuf,
    client: RunningService<RoleClient, Notified>,
    changes: mpsc::UnboundedReceiver<Instant>,
}

impl Watched {
    /// The plugin that comes and goes.
    const EXTRA: &str = "extra";
    /// What its tools are prefixed with.
    const PREFIX: &str = "x";

    /// Changes the directory, and returns the time from the change to the
    /// client being told. Checks that the tool list then reflects it.
    async fn measure(&mut self, change: Change, bytes: &[u8]) -> anyhow::Result<Duration> {
        let wasm = self.dir.join(format!("{}.wasm", Self::EXTRA));
        // Staged under a name the watcher ignores, then renamed into place,
        // as a careful deployment does.
        let staged = self.dir.join(format!("{}.staged", Self::EXTRA));
        if change != Change::Remove {
            std::fs::write(&staged, bytes)?;
        }
        tokio::time::sleep(QUIET).await;
        anyhow::ensure!(
            self.changes.try_recv().is_err(),
            "a notification nothing asked for"
        );

        let begin = Instant::now();
        match change {
            Change::Remove => std::fs::remove_file(&wasm)?,
            Change::AddNew | Change::AddKnown => std::fs::rename(&staged, &wasm)?,
        }
        let told = tokio::time::timeout(PATIENCE, self.changes.recv())
            .await
            .context("no list_changed notification")?
            .context("the client stopped")?;
        let time = told - begin;

        let tools = self.client.list_all_tools().await?;
        let extra = format!("{}_add", Self::PREFIX);
        let served = tools.iter().any(|tool| tool.name == extra);
        anyhow::ensure!(
            served == (change != Change::Remove),
            "after `{}`, `{extra}` served: {served}",
            change.label()
        );
        anyhow::ensure!(
            tools.len() == MATH_TOOLS * (1 + usize::from(served)),
            "{} tools served",
            tools.len()
        );
        Ok(time)
    }
}

/// The times measured for each [`Change`], in the order of [`Change::ALL`].
type Reloads = [Vec<Duration>; 3];

/// Measures write-to-notification times under `moat serve --watch`.
async fn reload(plan: &Plan, temp: &Path, math: &[u8]) -> anyhow::Result<Reloads> {
    let dir = temp.join("watched");
    std::fs::create_dir(&dir)?;
    std::fs::write(dir.join("math.wasm"), math)?;
    // The manifest waits for its plugin; a manifest alone is not a plugin.
    std::fs::write(
        dir.join(format!("{}.toml", Watched::EXTRA)),
        format!("[tools]\nprefix = \"{}\"\n", Watched::PREFIX),
    )?;
    let cache = temp.join("cache-watched");
    let mut command = Command::new(MOAT);
    command
        .arg("--cache")
        .arg(&cache)
        .arg("serve")
        .arg("--watch")
        .arg("--plugins")
        .arg(&dir);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()?;
    let (sender, changes) = mpsc::unbounded_channel();
    let client = Notified(sender).serve(transport).await?;
    let mut watched = Watched {
        dir,
        client,
        changes,
    };

    // Puts the known bytes into the compile cache.
    let known = distinct(math, "known");
    watched.measure(Change::AddKnown, &known).await?;
    watched.measure(Change::Remove, &[]).await?;

    let mut times: Reloads = Default::default();
    let mut record = |change: Change, time| times[change as usize].push(time);
    for round in 0..plan.reloads {
        let new = distinct(math, &format!("new {round}"));
        let adds = if round % 2 == 0 {
            [(Change::AddNew, &new), (Change::AddKnown, &known)]
        } else {
            [(Change::AddKnown, &known), (Change::AddNew, &new)]
        };
        for (add, bytes) in adds {
            record(add, watched.measure(add, bytes).await?);
            record(Change::Remove, watched.measure(Change::Remove, &[]).await?);
        }
    }
    watched.client.cancel().await?;
    Ok(times)
}

/// Prints the tables, ready for `docs/performance.md`.
fn report(plan: &Plan, reloads: &mut Reloads, elapsed: Duration) {
    let millis = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |sorted: &[Duration], q: usize| sorted[(sorted.len() - 1) * q / 100];
    for times in reloads.iter_mut() {
        times.sort_unstable();
    }

    println!(
        "moat lifecycle benchmark: {} reload rounds, settle window {} ms ({:.1} s in all)",
        plan.reloads,
        SETTLE.as_millis(),
        elapsed.as_secs_f64(),
    );
    println!();
    println!(
        "| change to the plugin directory     | samples | median ms | p95 ms | min ms | max ms | median − settle ms |"
    );
    println!(
        "| ---------------------------------- | ------: | --------: | -----: | -----: | -----: | -----------------: |"
    );
    for change in Change::ALL {
        let times = &reloads[change as usize];
        let p50 = millis(at(times, 50));
        println!(
            "| {:<34} | {:>7} | {p50:>9.0} | {:>6.0} | {:>6.0} | {:>6.0} | {:>18.0} |",
            change.label(),
            times.len(),
            millis(at(times, 95)),
            millis(at(times, 0)),
            millis(at(times, 100)),
            p50 - millis(SETTLE),
        );
    }
}
