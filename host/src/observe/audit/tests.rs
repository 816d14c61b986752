//! The audit sink's records and its queue, against real files.

use std::io::{BufRead as _, BufReader};
use std::time::{Duration, Instant};

use moat_audit::Chain;

use super::AuditLog;
use super::record::{MAX_FIELD, Record};
use super::writer::{MAX_QUEUED, Queue};
use sha2::{Digest as _, Sha256};

use crate::observe::{Call, Caller, Method, Outcome, Sink as _, Wants};

fn call(keep: bool) -> Call {
    let caller = Caller {
        era: Some("2025-11-25".into()),
        session: Some("s-1".into()),
        client: Some("client/1".into()),
        identity: None,
    };
    let plugin = ("math".into(), "sha256:ab".into());
    Call::new(
        Method::CallTool,
        plugin,
        "add",
        &serde_json::json!({"x": 1}),
        Wants {
            details: true,
            values: keep,
        },
        caller,
    )
}

fn line(record: &Record) -> String {
    let mut out = Vec::new();
    Chain::new()
        .append(&mut out, record.time, record.kind, &record.fields)
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_request_line_has_every_field_in_order_and_no_argument_values_unless_asked() {
    let failed = Outcome::Failed {
        limit: Some("timeout"),
        message: "took too long".into(),
    };
    let text = line(&Record::request(&call(false), &failed, false));
    let keys = [
        "seq",
        "time",
        "kind",
        "era",
        "session",
        "client",
        "identity",
        "method",
        "plugin",
        "wasm",
        "target",
        "arguments_sha256",
        "outcome",
        "limit",
        "duration_us",
        "prev",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|key| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} in {text}"))
        })
        .collect();
    assert!(positions.is_sorted(), "{text}");
    assert!(text.contains(r#""kind":"request","era":"2025-11-25","session":"s-1","client":"client/1","identity":null,"method":"tools/call","plugin":"math","wasm":"sha256:ab","target":"add""#), "{text}");
    assert!(
        text.contains(r#""outcome":"failed","limit":"timeout""#),
        "{text}"
    );
    assert!(
        !text.contains("\"arguments\":") && !text.contains("took too long"),
        "{text}"
    );

    let kept = line(&Record::request(&call(true), &Outcome::Ok, true));
    assert!(
        kept.contains(r#""arguments":{"x":1},"outcome":"ok","limit":null"#),
        "{kept}"
    );
    // A sink that did not ask writes no values even if a call kept them.
    let unasked = line(&Record::request(&call(true), &Outcome::Ok, false));
    assert!(!unasked.contains("\"arguments\":"), "{unasked}");
}

#[test]
fn the_log_is_created_owner_only_and_continued_across_opens() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    for _ in 0..2 {
        let log = AuditLog::open(&path, false).unwrap();
        log.call(&call(false), &Outcome::Ok);
        log.flush();
    }
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let report = moat_audit::verify(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.lines, 4, "start and request, twice");
}

/// A writer stuck on a pipe nobody reads: pushing never blocks, what does
/// not fit is dropped and counted, and once the pipe is read the log says
/// how many were dropped, in a chain that verifies.
#[test]
fn a_stuck_disk_drops_and_counts_records_instead_of_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stuck");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Read-write, so that opening needs no reader; nobody reads yet.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let queue = Queue::start(fifo.clone(), file, Chain::new()).unwrap();
    let pushed = MAX_QUEUED as u64 * 3;
    let started = Instant::now();
    for _ in 0..pushed {
        queue.push(Record::request(&call(false), &Outcome::Ok, false));
    }
    // A safety net, not a speed check: a blocked push would never return.
    assert!(started.elapsed() < Duration::from_secs(60));
    let dropped = queue.dropped();
    assert!(dropped > 0, "a pipe holds far fewer lines than were pushed");

    let reader = std::fs::File::open(&fifo).unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // Flushing writes what was queued, then the count of those dropped.
    queue.flush();
    let mut log = Vec::new();
    let (mut requests, mut counted) = (0, 0);
    while requests + counted < pushed {
        let line = received
            .recv_timeout(Duration::from_secs(60))
            .expect("the log is written once read");
        let record: serde_json::Value = serde_json::from_str(&line).unwrap();
        match record["kind"].as_str().unwrap() {
            "request" => requests += 1,
            "dropped" => counted += record["count"].as_u64().unwrap(),
            _ => {}
        }
        log.push(line);
    }
    assert_eq!((requests + counted, counted), (pushed, dropped));
    let text: String = log.iter().map(|l| format!("{l}\n")).collect();
    let report = moat_audit::verify(text.as_bytes()).unwrap();
    assert!(report.is_intact(), "{report}");
}

#[test]
fn text_a_client_chose_is_cut_to_its_bound_with_its_length_and_hash() {
    let long = "é".repeat(5000);
    let mut call = call(false);
    call.target = long.clone();
    call.caller.client = Some(long.as_str().into());
    call.caller.session = Some(long.as_str().into());
    let text = line(&Record::request(&call, &Outcome::Ok, false));
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let digest = format!("{:x}", Sha256::digest(long.as_bytes()));
    for key in ["target", "client", "session"] {
        let value = record[key].as_str().unwrap();
        assert!(
            value.len() < MAX_FIELD + 100,
            "{key}: {} bytes",
            value.len()
        );
        assert!(value.starts_with("éé"), "{value}");
        assert!(
            value.ends_with(&format!("…[10000 bytes, sha256:{digest}]")),
            "{value}"
        );
    }
    assert!(text.len() < 4 * MAX_FIELD, "{} bytes", text.len());
    // Short text is written as it is.
    let short = line(&Record::request(&self::call(false), &Outcome::Ok, false));
    assert!(short.contains(r#""client":"client/1""#), "{short}");
}
