//! `moat serve --watch`: plugins come, change, break and go while a client
//! stays connected.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::Peer;
use serde_json::{Value, json};

use crate::harness::{PluginDir, params};
use crate::lifecycle::watched::Watched;

fn result(outcome: &CallToolResult) -> f64 {
    outcome.structured_content.as_ref().unwrap()["result"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn plugins_come_change_break_and_go_while_a_client_is_connected() {
    let dir = PluginDir::with_math();
    let mut served = Watched::start(&dir).await;
    assert_eq!(served.tools().await, ["add", "sub", "mul", "div"]);

    // Added: its tools appear and the client is told.
    std::fs::copy(
        moat_test_artifacts::HOSTILE,
        dir.path().join("hostile.wasm"),
    )
    .unwrap();
    served.changed().await;
    assert!(served.tools().await.contains(&"echo".to_owned()));

    // Replaced by a new version (dupe's `add` answers x - y), with calls
    // running throughout: none fails, and the new behaviour arrives.
    let calls = async {
        let mut answers = Vec::new();
        for _ in 0..200 {
            let outcome = served.call("add", json!({"x": 5, "y": 3})).await;
            assert_ne!(outcome.is_error, Some(true), "{outcome:?}");
            answers.push(result(&outcome));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        answers
    };
    let swap = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let staged = dir.path().join("math.wasm.part");
        std::fs::copy(moat_test_artifacts::DUPE, &staged).unwrap();
        std::fs::rename(&staged, dir.path().join("math.wasm")).unwrap();
    };
    let (answers, ()) = tokio::join!(calls, swap);
    assert_eq!(answers.first(), Some(&8.0));
    assert_eq!(answers.last(), Some(&2.0), "the new version answers");
    served.changed().await;

    // Replaced by garbage: the previous version keeps answering.
    std::fs::write(dir.path().join("math.wasm"), b"half a file").unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        result(&served.call("add", json!({"x": 5, "y": 3})).await),
        2.0
    );

    // Deleted: its tools go, the others stay.
    std::fs::remove_file(dir.path().join("math.wasm")).unwrap();
    served.changed().await;
    let tools = served.tools().await;
    assert!(!tools.contains(&"add".to_owned()), "{tools:?}");
    assert!(tools.contains(&"echo".to_owned()), "{tools:?}");
    let error = served
        .client
        .call_tool(CallToolRequestParams::new("add").with_arguments(serde_json::Map::new()))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Unknown tool: add"), "{error}");
}

#[tokio::test]
async fn a_changed_manifest_takes_effect() {
    let dir = PluginDir::empty().with_hostile("[capabilities]\nenv = { STAGE = \"one\" }\n");
    let mut served = Watched::start(&dir).await;
    let vars = |outcome: CallToolResult| outcome.structured_content.unwrap()["vars"].clone();
    assert_eq!(
        vars(served.call("env", json!({})).await),
        json!({"STAGE": "one"})
    );

    std::fs::write(
        dir.path().join("hostile.toml"),
        "[tools]\nprefix = \"h\"\n[capabilities]\nenv = { STAGE = \"two\" }\n",
    )
    .unwrap();
    served.changed().await;
    assert_eq!(
        vars(served.call("h_env", json!({})).await),
        json!({"STAGE": "two"})
    );
}

/// The load test: calls keep running through one client while the
/// plugin answering them is replaced 50 times, alternately by math (whose
/// `add` answers x + y) and dupe (x - y), and not one fails. Most swaps are
/// atomic renames; some rewrite the file in place, as `cp` does, and some of
/// those stop half way until the host has tried the half-written file and
/// kept the previous version.
#[tokio::test(flavor = "multi_thread")]
async fn no_call_fails_through_fifty_reloads() {
    const RELOADS: usize = 50;
    const ADDERS: u32 = 4;
    let dir = PluginDir::empty()
        .copy(moat_test_artifacts::MATH, "calc.wasm")
        .with_hostile("");
    let (mut served, mut log) = Watched::start_logged(&dir).await;
    let calc = dir.path().join("calc.wasm");
    let math = std::fs::read(moat_test_artifacts::MATH).unwrap();
    let dupe = std::fs::read(moat_test_artifacts::DUPE).unwrap();
    let add = |x: f64, y: f64, dupe: bool| if dupe { x - y } else { x + y };

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let peer = served.client.peer();
    let mut callers: Vec<_> = (0..ADDERS)
        .map(|caller| {
            tokio::spawn(keep_adding(
                peer.clone(),
                caller,
                stop.clone(),
                done.clone(),
            ))
        })
        .collect();
    // A plugin that is never reloaded keeps answering too.
    callers.push(tokio::spawn(keep_echoing(
        peer.clone(),
        stop.clone(),
        done.clone(),
    )));

    let mut during_reloads = 0;
    for reload in 0..RELOADS {
        let to_dupe = reload % 2 == 0;
        let bytes = if to_dupe { &dupe } else { &math };
        let before = done.load(Ordering::Relaxed);
        match reload % 5 {
            // In place, as `cp` does: truncated, then written in chunks.
            3 => {
                let mut file = std::fs::File::create(&calc).unwrap();
                write_slowly(&mut file, bytes).await;
            }
            // In place, stopping half way until the host has tried the file.
            4 => {
                let (first, rest) = bytes.split_at(bytes.len() / 2);
                log.skip();
                let mut file = std::fs::File::create(&calc).unwrap();
                write_slowly(&mut file, first).await;
                log.wait_for("kept the previous version").await;
                // The previous version answers, and no change was announced.
                let outcome = served.call("add", json!({"x": 1000, "y": 7})).await;
                assert_eq!(
                    result(&outcome),
                    add(1000.0, 7.0, !to_dupe),
                    "half way through reload {reload}, the previous version answers"
                );
                assert!(!served.has_changed(), "reload {reload}");
                write_slowly(&mut file, rest).await;
            }
            // Atomically: written beside it, then renamed over it.
            _ => {
                let staged = dir.path().join("calc.part");
                std::fs::write(&staged, bytes).unwrap();
                std::fs::rename(&staged, &calc).unwrap();
            }
        }
        served.changed().await;
        // Every line logged before the reload has been read.
        log.wait_for("reloaded").await;
        during_reloads += done.load(Ordering::Relaxed) - before;

        let tools = served.tools().await;
        assert_eq!(
            tools.contains(&"dupe_only".to_owned()),
            to_dupe,
            "{tools:?}"
        );
        assert!(tools.contains(&"echo".to_owned()), "{tools:?}");
        let outcome = served.call("add", json!({"x": 1000, "y": 7})).await;
        assert_eq!(
            result(&outcome),
            add(1000.0, 7.0, to_dupe),
            "after reload {reload}, the new version answers"
        );
    }
    stop.store(true, Ordering::Relaxed);

    let mut seen = Tally::default();
    for caller in callers {
        let tally = caller.await.unwrap();
        assert!(tally.calls() > 0, "every caller kept calling");
        seen.add(tally);
    }
    assert!(
        seen.failures.is_empty(),
        "{} of {} calls failed, the first: {:#?}",
        seen.failures.len(),
        seen.calls(),
        &seen.failures[..seen.failures.len().min(5)]
    );
    assert!(
        seen.sums > 0 && seen.differences > 0,
        "both versions answered"
    );
    assert!(
        during_reloads > RELOADS,
        "{during_reloads} calls during reloads"
    );
    eprintln!(
        "{} calls ({} sums, {} differences, {} echoes), {during_reloads} of them during reloads",
        seen.calls(),
        seen.sums,
        seen.differences,
        seen.echoes
    );
}

/// What the callers of the load test saw.
#[derive(Default)]
struct Tally {
    /// Answers of math's `add`, x + y.
    sums: usize,
    /// Answers of dupe's `add`, x - y.
    differences: usize,
    echoes: usize,
    failures: Vec<String>,
}

impl Tally {
    fn calls(&self) -> usize {
        self.sums + self.differences + self.echoes + self.failures.len()
    }

    fn add(&mut self, other: Self) {
        self.sums += other.sums;
        self.differences += other.differences;
        self.echoes += other.echoes;
        self.failures.extend(other.failures);
    }
}

/// Calls `add` back to back until `stop`, each call with operands of its
/// own, so that every answer can be checked against the question.
async fn keep_adding(
    peer: Peer<RoleClient>,
    caller: u32,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let (x, y) = (f64::from(caller * 1_000_000 + n), 7.0);
        n += 1;
        match peer.call_tool(params("add", json!({"x": x, "y": y}))).await {
            Ok(outcome) if outcome.is_error != Some(true) => {
                let answer = outcome.structured_content.as_ref().map(|s| &s["result"]);
                match answer.and_then(Value::as_f64) {
                    Some(sum) if sum == x + y => tally.sums += 1,
                    Some(difference) if difference == x - y => tally.differences += 1,
                    _ => tally.failures.push(format!("add({x}, {y}): {outcome:?}")),
                }
            }
            Ok(outcome) => tally.failures.push(format!("add({x}, {y}): {outcome:?}")),
            Err(error) => tally.failures.push(format!("add({x}, {y}): {error}")),
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    tally
}

/// Calls hostile's `echo` back to back until `stop`.
async fn keep_echoing(
    peer: Peer<RoleClient>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let text = format!("call {n}");
        n += 1;
        match peer.call_tool(params("echo", json!({"text": text}))).await {
            Ok(outcome)
                if outcome.is_error != Some(true)
                    && outcome.structured_content == Some(json!({"text": text})) =>
            {
                tally.echoes += 1;
            }
            Ok(outcome) => tally.failures.push(format!("echo({text}): {outcome:?}")),
            Err(error) => tally.failures.push(format!("echo({text}): {error}")),
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    tally
}

/// Writes `bytes` in chunks a little apart, as a copy over a slow disk
/// would: the host sees the file grow, not appear whole.
async fn write_slowly(file: &mut std::fs::File, bytes: &[u8]) {
    for chunk in bytes.chunks(16 << 10) {
        file.write_all(chunk).unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
