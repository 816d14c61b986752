//! The per-call cost of the sandbox: how long one `mul` call of the math
//! plugin takes with no manifest, and with a manifest that grants every
//! capability and sets every limit, plus one grant at a time to tell which
//! costs what.
//!
//! ```sh
//! cargo bench -p moat --bench call
//! ```
//!
//! Every configuration is measured in the same run, batch by batch, the order
//! rotating each round, so that drift on a shared machine hits them all
//! alike. The table goes to stdout; `docs/performance.md` reports it. Run
//! without `--bench` (as `cargo test --benches` does), it makes a few calls
//! per configuration, checks their results and exits.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moat::clients::ClientLink;
use moat::plugins::LoadedPlugin;
use moat::runtime::Runtime;

const TOOL: &str = "mul";
const ARGUMENTS: &str = r#"{"x":25,"y":17}"#;
/// [`ARGUMENTS`] as the object a client's request carries.
fn arguments() -> rmcp::model::JsonObject {
    serde_json::from_str(ARGUMENTS).expect("ARGUMENTS is a JSON object")
}

/// What `mul` answers to [`ARGUMENTS`].
const PRODUCT: &str = "425";

/// How much to measure; [`Plan::SMOKE`] only checks that everything runs.
struct Plan {
    warmup: usize,
    rounds: usize,
    calls: usize,
    concurrent_rounds: usize,
    concurrent_calls: usize,
}

impl Plan {
    const BENCH: Self = Self {
        warmup: 500,
        rounds: 40,
        calls: 500,
        concurrent_rounds: 15,
        concurrent_calls: 500,
    };
    const SMOKE: Self = Self {
        warmup: 1,
        rounds: 1,
        calls: 3,
        concurrent_rounds: 1,
        concurrent_calls: 3,
    };
}

/// Callers in the throughput measurement.
const CALLERS: usize = 2;

/// One plugin directory: `math.wasm`, and `math.toml` unless `manifest` is `None`.
struct Setup {
    label: &'static str,
    manifest: Option<String>,
}

/// The configurations, the first two being the ones compared: nothing
/// granted, and everything granted.
fn setups(grants: &Path) -> Vec<Setup> {
    let dir = |name: &str| grants.join(name).display().to_string();
    let files_one = format!(
        "files = [{{ host = '{}', guest = '/data', access = 'read-write' }}]\n",
        dir("data")
    );
    let files_three = format!(
        "files = [\n  {{ host = '{}', guest = '/data', access = 'read-write' }},\n  \
         {{ host = '{}', guest = '/cache', access = 'read-write' }},\n  \
         {{ host = '{}', guest = '/config' }},\n]\n",
        dir("data"),
        dir("cache"),
        dir("config"),
    );
    let env = (0..10)
        .map(|i| format!("VAR_{i} = \"value number {i} of the benchmark environment\""))
        .collect::<Vec<_>>()
        .join(", ");
    let env = format!("env = {{ {env} }}\n");
    let network = "network = [\"127.0.0.1:8080\", \"example.com:443\"]\n".to_owned();
    let limits = "[limits]\nmemory = \"32 MiB\"\ntimeout = \"30s\"\n\
                  max_concurrency = 16\nmax_output = \"64 KiB\"\n"
        .to_owned();
    let capabilities = |grants: &str| format!("[capabilities]\n{grants}");
    vec![
        Setup {
            label: "nothing granted",
            manifest: None,
        },
        Setup {
            label: "everything granted",
            manifest: Some(format!(
                "{}{limits}",
                capabilities(&format!("{files_three}{env}{network}"))
            )),
        },
        Setup {
            label: "3 dirs only",
            manifest: Some(capabilities(&files_three)),
        },
        Setup {
            label: "1 dir only",
            manifest: Some(capabilities(&files_one)),
        },
        Setup {
            label: "10 env only",
            manifest: Some(capabilities(&env)),
        },
        Setup {
            label: "network only",
            manifest: Some(capabilities(&network)),
        },
        Setup {
            label: "limits only",
            manifest: Some(limits),
        },
    ]
}

/// One loaded configuration and what was measured of it.
struct Measured {
    label: &'static str,
    plugin: Arc<LoadedPlugin>,
    latencies: Vec<Duration>,
    throughputs: Vec<f64>,
}

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

async fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp = tempfile::tempdir()?;
    let grants = temp.path().join("grants");
    for name in ["data", "cache", "config"] {
        std::fs::create_dir_all(grants.join(name))?;
    }
    let runtime = Runtime::new()?;
    let mut measured = Vec::new();
    for (i, setup) in setups(&grants).into_iter().enumerate() {
        let dir = temp.path().join(format!("plugin-{i}"));
        std::fs::create_dir(&dir)?;
        std::fs::copy(moat_test_artifacts::MATH, dir.join("math.wasm"))?;
        if let Some(manifest) = &setup.manifest {
            std::fs::write(dir.join("math.toml"), manifest)?;
        }
        let plugin = LoadedPlugin::load(&runtime, &dir.join("math.wasm")).await?;
        measured.push(Measured {
            label: setup.label,
            plugin: Arc::new(plugin),
            latencies: Vec::with_capacity(plan.rounds * plan.calls),
            throughputs: Vec::new(),
        });
    }

    for m in &measured {
        sequential(&m.plugin, plan.warmup).await?;
    }
    let n = measured.len();
    for round in 0..plan.rounds {
        for k in 0..n {
            let m = &mut measured[(round + k) % n];
            let latencies = sequential(&m.plugin, plan.calls).await?;
            m.latencies.extend(latencies);
        }
    }
    for round in 0..plan.concurrent_rounds {
        for k in 0..n {
            let m = &mut measured[(round + k) % n];
            let throughput = concurrent(&m.plugin, plan.concurrent_calls).await?;
            m.throughputs.push(throughput);
        }
    }

    report(&plan, &mut measured, started.elapsed());
    Ok(())
}

/// Makes `calls` calls one after another, on a worker thread as the server
/// does, and returns how long each took.
async fn sequential(plugin: &Arc<LoadedPlugin>, calls: usize) -> anyhow::Result<Vec<Duration>> {
    let plugin = plugin.clone();
    tokio::spawn(async move {
        let arguments = arguments();
        let mut latencies = Vec::with_capacity(calls);
        for _ in 0..calls {
            let start = Instant::now();
            let result = plugin.call(ClientLink::default(), TOOL, &arguments).await;
            latencies.push(start.elapsed());
            check(result)?;
        }
        Ok(latencies)
    })
    .await?
}

/// Makes `calls` calls from each of [`CALLERS`] tasks at once and returns
/// the calls completed per second.
async fn concurrent(plugin: &Arc<LoadedPlugin>, calls: usize) -> anyhow::Result<f64> {
    let start = Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let plugin = plugin.clone();
            tokio::spawn(async move {
                let arguments = arguments();
                for _ in 0..calls {
                    check(plugin.call(ClientLink::default(), TOOL, &arguments).await)?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for caller in callers {
        caller.await??;
    }
    Ok((CALLERS * calls) as f64 / start.elapsed().as_secs_f64())
}

/// Fails unless the call succeeded with the right product.
fn check(
    result: Result<rmcp::model::CallToolResult, moat::runtime::CallError>,
) -> anyhow::Result<()> {
    let result = result?;
    let text = serde_json::to_string(&result)?;
    anyhow::ensure!(
        result.is_error != Some(true) && text.contains(PRODUCT),
        "unexpected result: {text}"
    );
    Ok(())
}

fn report(plan: &Plan, measured: &mut [Measured], elapsed: Duration) {
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    // Median, p99, and calls per second for one caller (calls over the
    // time spent in them).
    let stats = |latencies: &mut Vec<Duration>| {
        latencies.sort_unstable();
        let at = |q: usize| latencies[(latencies.len() - 1) * q / 100];
        let total: Duration = latencies.iter().sum();
        (
            micros(at(50)),
            micros(at(99)),
            latencies.len() as f64 / total.as_secs_f64(),
        )
    };
    let median = |values: &mut Vec<f64>| {
        values.sort_unstable_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let rows: Vec<_> = measured
        .iter_mut()
        .map(|m| {
            let (p50, p99, rate) = stats(&mut m.latencies);
            (m.label, p50, p99, rate, median(&mut m.throughputs))
        })
        .collect();
    let (_, base_p50, base_p99, _, base_rate) = rows[0];

    println!(
        "moat call benchmark: `{TOOL}` of the math plugin; {} rounds x {} sequential calls \
         per configuration, {} rounds x {CALLERS} callers x {} calls for calls/s, \
         interleaved ({:.1} s in all)",
        plan.rounds,
        plan.calls,
        plan.concurrent_rounds,
        plan.concurrent_calls,
        elapsed.as_secs_f64(),
    );
    println!();
    println!(
        "| configuration      | median µs | p99 µs | median ÷ nothing | p99 ÷ nothing | calls/s, 1 caller | calls/s, {CALLERS} callers | ÷ nothing |"
    );
    println!(
        "| ------------------ | --------: | -----: | ---------------: | ------------: | ----------------: | -----------------: | --------: |"
    );
    for (label, p50, p99, one, rate) in &rows {
        println!(
            "| {label:<18} | {p50:>9.1} | {p99:>6.1} | {:>16.3} | {:>13.3} | {one:>17.0} | {rate:>18.0} | {:>9.3} |",
            p50 / base_p50,
            p99 / base_p99,
            rate / base_rate,
        );
    }
    let (_, all_p50, all_p99, _, all_rate) = rows[1];
    println!();
    println!(
        "everything granted ÷ nothing granted: median {:.3}, p99 {:.3}, calls/s ({CALLERS} callers) {:.3}",
        all_p50 / base_p50,
        all_p99 / base_p99,
        all_rate / base_rate,
    );
}
