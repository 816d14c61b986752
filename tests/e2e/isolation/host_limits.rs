//! Issue 12: a plugin must not exhaust the host. What a call makes the host
//! hold outside the plugin's memory (HTTP header sets, open files) is
//! bounded, memory is summed over a component's memories, and each limit
//! it hits is named in the tool error.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::harness::{MOAT, PluginDir, Served, math_still_works, text, tool_error};

/// The resident memory of process `pid`, in bytes (`VmRSS` in
/// `/proc/PID/status`).
fn resident(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS in /proc/PID/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib << 10
}

/// Header sets that would hold about 300 MB of host memory.
fn flood() -> serde_json::Value {
    json!({"count": 3000, "bytes": 100_000})
}

#[tokio::test]
async fn http_headers_without_a_grant_are_denied_and_take_no_host_memory() {
    let dir = PluginDir::with_math().with_hostile("[limits]\nmemory = \"32 MiB\"\n");
    let served = Served::start(&dir).await;
    let before = resident(served.pid);
    let message = tool_error(&served, "headers", flood()).await;
    let grown = resident(served.pid).saturating_sub(before);
    assert!(
        message.contains("HTTP is not granted") && message.contains("capabilities.network"),
        "{message}"
    );
    assert!(message.contains("fields.from-list"), "{message}");
    assert!(grown < 200 << 20, "the host grew by {grown} bytes");
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn http_headers_with_a_grant_stop_at_the_handle_limit() {
    let dir = PluginDir::with_math().with_hostile(
        "[capabilities]\nnetwork = [\"127.0.0.1:9\"]\n[limits]\nmemory = \"32 MiB\"\n",
    );
    let served = Served::start(&dir).await;
    let before = resident(served.pid);
    let message = tool_error(&served, "headers", json!({"count": 3000, "bytes": 16_000})).await;
    let grown = resident(served.pid).saturating_sub(before);
    assert!(
        message.contains("more than 256 resource handles")
            && message.contains("limits.max_handles"),
        "{message}"
    );
    assert!(grown < 200 << 20, "the host grew by {grown} bytes");
    // One header set larger than the host keeps for it.
    let message = tool_error(&served, "headers", json!({"count": 1, "bytes": 100_000})).await;
    assert!(
        message.contains("header set of more than 32 KiB"),
        "{message}"
    );
    // Within the limits, it works.
    let result = served
        .call("headers", json!({"count": 10, "bytes": 1000}))
        .await;
    assert_eq!(result.structured_content.unwrap()["fields"], 10);
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn the_handle_limit_is_set_by_the_manifest() {
    let dir = PluginDir::with_math()
        .with_hostile("[capabilities]\nnetwork = [\"127.0.0.1:9\"]\n[limits]\nmax_handles = 40\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "headers", json!({"count": 100, "bytes": 10})).await;
    assert!(
        message.contains("more than 40 resource handles"),
        "{message}"
    );
    served.stop().await;
}

/// A plugin directory with the hostile plugin and a copy of it, `reader`,
/// each granted `data/` (holding `hello.txt`) read-only.
fn two_readers(limits: &str) -> PluginDir {
    let grant = "[capabilities]\nfiles = [{ host = \"data\", guest = \"/data\" }]\n";
    let dir = PluginDir::with_math()
        .with_hostile(&format!("{grant}{limits}"))
        .copy(moat_test_artifacts::HOSTILE, "reader.wasm")
        .write(
            "reader.toml",
            format!("[tools]\nprefix = \"r\"\n{grant}").as_bytes(),
        );
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/hello.txt"), "hello").unwrap();
    dir
}

#[tokio::test]
async fn opening_files_without_bound_stops_at_the_limit_and_others_still_open_files() {
    let dir = two_readers("");
    let served = Served::start(&dir).await;
    let flood = json!({"path": "/data/hello.txt", "count": 25_000});
    let read = || served.call("r_read", json!({"path": "/data/hello.txt"}));
    let (flooded, read_meanwhile) =
        tokio::join!(tool_error(&served, "open", flood.clone()), read());
    assert!(
        flooded.contains("more than 64 files open") && flooded.contains("limits.max_open_files"),
        "{flooded}"
    );
    assert_eq!(
        read_meanwhile.structured_content.unwrap()["text"],
        "hello",
        "another plugin's read failed"
    );
    let message = tool_error(&served, "open", flood).await;
    assert!(message.contains("limits.max_open_files"), "{message}");
    let after = read().await;
    assert_eq!(after.structured_content.unwrap()["text"], "hello");
    // Within the limit, files open; and closed ones give their places back.
    let result = served
        .call("open", json!({"path": "/data/hello.txt", "count": 60}))
        .await;
    assert_eq!(result.structured_content.unwrap()["files"], 60);
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn the_open_file_limit_is_set_by_the_manifest() {
    let dir = two_readers("[limits]\nmax_open_files = 5\n");
    let served = Served::start(&dir).await;
    let ok = served
        .call("open", json!({"path": "/data/hello.txt", "count": 5}))
        .await;
    assert_eq!(ok.structured_content.unwrap()["files"], 5);
    let message = tool_error(
        &served,
        "open",
        json!({"path": "/data/hello.txt", "count": 6}),
    )
    .await;
    assert!(message.contains("more than 5 files open"), "{message}");
    served.stop().await;
}

#[tokio::test]
async fn all_calls_together_leave_the_host_its_descriptors() {
    // Under a descriptor limit of 330, the host keeps 256 for itself and
    // every plugin's calls together may hold 74 files open.
    let dir = two_readers("");
    let command = format!(
        "ulimit -n 330 && exec {MOAT} serve --plugins {}",
        dir.path().display()
    );
    let mut sh = Command::new("sh");
    sh.args(["-c", &command]).env("MOAT_STARTUP_WAIT", "10m");
    let served = Served::start_command(sh.into()).await;
    let hold = json!({"path": "/data/hello.txt", "count": 60, "hold_ms": 8000});
    let held = served.call("open", hold);
    // While the first call holds its 60 files, the second plugin's call of
    // 15 more (which alone fit) is refused. It is tried from 1.5 s on, once
    // the first has surely opened its files, until refused (it never is
    // before the fix: the loop gives up after 6 s).
    let more = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let asked = json!({"path": "/data/hello.txt", "count": 15});
        let mut message = String::new();
        for _ in 0..60 {
            let result = served.call("r_open", asked.clone()).await;
            if result.is_error == Some(true) {
                message = text(&result).to_owned();
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let read = served
            .call("r_read", json!({"path": "/data/hello.txt"}))
            .await;
        (message, read)
    };
    let (held, (message, read)) = tokio::join!(held, more);
    assert_eq!(held.structured_content.unwrap()["files"], 60);
    assert!(
        message.contains("the host's budget of 74 open files for all plugins together is used up"),
        "{message}"
    );
    assert_eq!(read.structured_content.unwrap()["text"], "hello");
    math_still_works(&served).await;
    let log = served.stop().await;
    assert!(
        log.contains("open-file limit 330: 256 kept for the host"),
        "{log}"
    );
}

/// `moat check` on `wasm`, with a 32 MiB memory limit.
fn check_under_32_mib(wasm: &str) -> (bool, String) {
    let dir = PluginDir::empty()
        .copy(wasm, "two.wasm")
        .write("two.toml", b"[limits]\nmemory = \"32 MiB\"\n");
    let output = Command::new(MOAT)
        .arg("check")
        .arg(dir.path().join("two.wasm"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), said)
}

#[test]
fn the_memory_limit_is_summed_over_a_components_memories() {
    let (loaded, said) = check_under_32_mib(moat_test_artifacts::TWO_MEMORIES_24);
    assert!(!loaded, "2 x 24 MiB loaded under a 32 MiB limit: {said}");
    assert!(
        said.contains("memory limit of 32 MiB") && said.contains("summed over its memories"),
        "{said}"
    );
    let (loaded, said) = check_under_32_mib(moat_test_artifacts::TWO_MEMORIES_12);
    assert!(
        loaded,
        "2 x 12 MiB did not load under a 32 MiB limit: {said}"
    );
}

#[tokio::test]
async fn a_result_too_large_to_copy_names_the_output_limit() {
    let dir = PluginDir::with_math().with_hostile("[limits]\nmemory = \"1 GiB\"\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "huge", json!({"bytes": 200_000_000})).await;
    assert!(
        message.contains("over its output limit of 1048576 bytes")
            && message.contains("limits.max_output"),
        "{message}"
    );
    assert!(!message.contains("fuel"), "{message}");
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn a_failed_host_call_names_its_cause() {
    let dir = PluginDir::with_math().with_hostile("");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "exit", json!({"code": 3})).await;
    // Rust's `std::process::exit` passes only success or failure to WASI.
    assert!(
        message.contains("it exited (`wasi:cli/exit`) with status 1"),
        "{message}"
    );
    assert!(!message.contains("wasm backtrace"), "{message}");
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        served.call("echo", json!({"text": "hi"})),
    )
    .await
    .expect("the host still answers");
    assert_eq!(text(&result), r#"{"text":"hi"}"#);
    served.stop().await;
}
