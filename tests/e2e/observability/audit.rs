//! `moat serve --audit FILE` and `moat audit verify FILE`: a line per
//! request that reaches a plugin and per load, reload, removal and refusal,
//! chained so that verify names each edited, removed, reordered or cut line.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::harness::{PluginDir, Served, math_still_works, moat_blocking, moat_command, params};

/// A text that must not reach the audit log unless argument values are asked for.
const SECRET: &str = "the-argument-value-nobody-may-read";

/// Serves `dir` over stdio with `--audit LOG` and `extra` flags.
async fn audited(dir: &PluginDir, log: &Path, extra: &[&str]) -> Served {
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--audit")
        .arg(log)
        .args(extra);
    Served::start_command(command).await
}

/// The records of the audit log at `log`.
pub fn records(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Waits until the audit log at `log` has a record for which `found` holds,
/// and returns it.
pub async fn wait_for_record(log: &Path, found: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30); // a safety net
    loop {
        if log.exists()
            && let Some(record) = records(log).into_iter().find(&found)
        {
            return record;
        }
        assert!(
            Instant::now() < deadline,
            "no such record in {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `moat audit verify LOG` and `extra`: its exit code and stdout.
pub fn verify(log: &Path, extra: &[&str]) -> (i32, String) {
    let output = moat_blocking()
        .args(["audit", "verify"])
        .arg(log)
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (output.status.code().unwrap(), stdout)
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn requests(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["kind"] == "request").collect()
}

/// A log of a session that calls math and hostile (an answer, a tool error,
/// a timeout, an unknown tool) with a broken plugin beside them, in `dir`.
pub async fn a_real_log(dir: &tempfile::TempDir) -> PathBuf {
    let plugins = PluginDir::with_math()
        .with_hostile("[limits]\ntimeout = \"500ms\"\n")
        .write("broken.wasm", b"not a component");
    let log = dir.path().join("audit.jsonl");
    let served = audited(&plugins, &log, &[]).await;
    served.call("add", json!({"x": 1, "y": 2})).await;
    served.call("div", json!({"x": 1, "y": 0})).await;
    served.call("spin", json!({})).await;
    let unknown = served.client.call_tool(params("nope", json!({}))).await;
    assert!(unknown.is_err(), "{unknown:?}");
    served.call("echo", json!({"text": SECRET})).await;
    math_still_works(&served).await;
    served.stop().await;
    log
}

#[tokio::test]
async fn each_request_reaching_a_plugin_and_each_load_and_refusal_is_a_line_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let log = a_real_log(&dir).await;
    let records = records(&log);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "start", "{kinds:?}");
    for (seq, record) in records.iter().enumerate() {
        assert_eq!(record["seq"], seq as u64, "{record}");
    }
    let refused = records.iter().find(|r| r["kind"] == "refuse").unwrap();
    assert!(
        refused["path"].as_str().unwrap().ends_with("broken.wasm"),
        "{refused}"
    );
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly"),
        "{refused}"
    );
    let math = records
        .iter()
        .find(|r| r["kind"] == "load" && r["plugin"] == "math")
        .unwrap();
    let math_digest = sha256(&std::fs::read(moat_test_artifacts::MATH).unwrap());
    assert_eq!(math["wasm"], math_digest.as_str());
    assert_eq!(math["tools"], 4);

    // The unknown tool reached no plugin: not a line.
    let requests = requests(&records);
    let targets: Vec<&str> = requests
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["add", "div", "spin", "echo", "mul"]);
    let outcomes: Vec<(&str, &Value)> = requests
        .iter()
        .map(|r| (r["outcome"].as_str().unwrap(), &r["limit"]))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("ok", &Value::Null),
            ("tool_error", &Value::Null),
            ("failed", &json!("timeout")),
            ("ok", &Value::Null),
            ("ok", &Value::Null),
        ]
    );
    let add = requests[0];
    assert_eq!(add["method"], "tools/call");
    assert_eq!(add["plugin"], "math");
    assert_eq!(add["wasm"], math_digest.as_str());
    assert_eq!(add["era"], "2025-11-25");
    assert_eq!(add["session"], Value::Null, "stdio has no session");
    assert!(
        add["client"].as_str().unwrap().starts_with("rmcp/"),
        "{add}"
    );
    assert_eq!(
        add["arguments_sha256"],
        sha256(br#"{"x":1,"y":2}"#).as_str()
    );
    assert!(add["duration_us"].as_u64().unwrap() > 0);
    assert!(
        requests[2]["duration_us"].as_u64().unwrap() >= 500_000,
        "spun to its timeout"
    );

    // Argument values are not written: only their hash.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(SECRET));
    assert!(requests.iter().all(|r| r.get("arguments").is_none()));

    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
    let last = text.lines().last().unwrap();
    assert!(
        out.contains(&format!("{} lines, chain intact", records.len())),
        "{out}"
    );
    assert!(
        out.contains(&format!("last hash {}", sha256(last.as_bytes()))),
        "{out}"
    );
}

#[tokio::test]
async fn argument_values_are_written_only_with_audit_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math().with_hostile("");
    let served = audited(&plugins, &log, &["--audit-arguments"]).await;
    served.call("echo", json!({"text": SECRET})).await;
    // A key in the arguments is redacted as the secret scanner redacts.
    let key = "AKIAIOSFODNN7EXAMPLE";
    served
        .call("echo", json!({"text": format!("key {key}")}))
        .await;
    served.stop().await;
    let records = records(&log);
    let echo = requests(&records)[0];
    assert_eq!(echo["arguments"], json!({"text": SECRET}));
    let keyed = requests(&records)[1];
    assert_eq!(
        keyed["arguments"],
        json!({"text": "key [REDACTED:aws-access-key]"})
    );
    assert!(!std::fs::read_to_string(&log).unwrap().contains(key));
    assert_eq!(
        echo["arguments_sha256"],
        sha256(format!(r#"{{"text":"{SECRET}"}}"#).as_bytes()).as_str()
    );
    assert_eq!(verify(&log, &[]).0, 0);
}

#[tokio::test]
async fn a_restart_continues_the_chain_and_a_broken_last_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math();
    for _ in 0..2 {
        let served = audited(&plugins, &log, &[]).await;
        math_still_works(&served).await;
        served.stop().await;
    }
    let records = records(&log);
    let kinds: Vec<&str> = records
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["start", "load", "request", "start", "load", "request"]
    );
    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("6 lines, chain intact"), "{out}");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");

    // A last line cut short (a crash while writing) is not built upon.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, br#"{"seq":6,"time""#).unwrap();
    let before = std::fs::read(&log).unwrap();
    let output = moat_blocking()
        .args(["serve", "--plugins"])
        .arg(plugins.path())
        .arg("--audit")
        .arg(&log)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot be continued") && stderr.contains("last line is incomplete"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&log).unwrap(), before, "nothing was appended");
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_written_stops_no_call() {
    let plugins = PluginDir::with_math();
    let served = audited(&plugins, Path::new("/dev/full"), &[]).await;
    for _ in 0..20 {
        math_still_works(&served).await;
    }
    let stderr = served.stop().await;
    let errors = stderr
        .lines()
        .filter(|l| l.contains("cannot write the audit log /dev/full"))
        .count();
    assert_eq!(errors, 1, "logged once: {stderr}");
}

#[tokio::test]
async fn a_second_host_is_refused_the_log_another_writes() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math();
    let served = audited(&plugins, &log, &[]).await;
    let second = moat_blocking()
        .args(["serve", "--plugins"])
        .arg(plugins.path())
        .arg("--audit")
        .arg(&log)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is being written by another process"),
        "{stderr}"
    );
    math_still_works(&served).await;
    served.stop().await;
    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        records(&log)
            .iter()
            .filter(|r| r["kind"] == "start")
            .count(),
        1
    );
}
