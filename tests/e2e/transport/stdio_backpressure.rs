//! A stdio client that pipelines requests and leaves its answers unread
//! cannot make `moat serve` buffer without bound, and still gets every
//! answer once it reads.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::transport::raw_stdio::Raw;

/// Requests pipelined: each is a `tools/call` of `mul`.
const REQUESTS: usize = 20_000;

/// The host's resident memory, in KiB, from /proc.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn pipelined_requests_left_unread_stay_bounded_and_all_get_answers() {
    let Raw {
        mut child,
        mut stdin,
        mut stdout,
        dir: _dir,
    } = Raw::start();
    let pid = child.id().unwrap();
    stdin.write_all(br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
"#).await.unwrap();
    let initialized = stdout.next_line().await.unwrap().unwrap();
    assert!(initialized.contains("protocolVersion"), "{initialized}");
    let idle = resident_kib(pid);

    let written = Arc::new(AtomicUsize::new(0));
    let writer = tokio::spawn({
        let written = written.clone();
        async move {
            for id in 1..=REQUESTS {
                let line = format!(
                    "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"mul\",\"arguments\":{{\"x\":{id},\"y\":2}}}}}}\n"
                );
                stdin.write_all(line.as_bytes()).await.unwrap();
                written.store(id, Ordering::Relaxed);
            }
            stdin
        }
    });
    // Nothing reads stdout until writing stops: all written, or the host
    // has stopped reading stdin for a second.
    let mut last = 0;
    let mut peak = idle;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(resident_kib(pid));
        let now = written.load(Ordering::Relaxed);
        if now == REQUESTS || now == last {
            break;
        }
        last = now;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    peak = peak.max(resident_kib(pid));
    let grown_mib = peak.saturating_sub(idle) / 1024;
    eprintln!("idle {idle} KiB, peak {peak} KiB with stdout unread");
    assert!(
        grown_mib < 64,
        "{} requests written, unread: the host grew by {grown_mib} MiB",
        written.load(Ordering::Relaxed)
    );

    let mut unanswered: HashSet<u64> = (1..=REQUESTS as u64).collect();
    while !unanswered.is_empty() {
        let line = tokio::time::timeout(Duration::from_secs(60), stdout.next_line())
            .await
            .expect("moat answers within 60 s")
            .unwrap()
            .expect("moat's stdout is still open");
        let reply: Value = serde_json::from_str(&line).unwrap();
        let id = reply["id"].as_u64().unwrap();
        assert_eq!(
            reply["result"]["structuredContent"]["result"],
            (id * 2) as f64,
            "{reply}"
        );
        assert!(unanswered.remove(&id), "answered twice: {reply}");
    }
    drop(writer.await.unwrap());
    assert_eq!(stdout.next_line().await.unwrap(), None);
    assert!(child.wait().await.unwrap().success());
}
