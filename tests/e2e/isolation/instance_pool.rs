//! The engine's instance pool: `moat serve --max-instances N` reserves
//! address space for fewer instances (so moat starts where address space is
//! capped), and a call past the pool is a tool error that names the flag.

use std::time::Duration;

use serde_json::json;

use crate::harness::{MOAT, PluginDir, Served, math_still_works, moat_command, text};

/// A `ulimit -v` (in KiB) of 64 GiB: room for a few instances of 4 GiB,
/// not for the default 1000.
const ADDRESS_SPACE_KIB: u64 = 64 << 20;

/// `moat serve` with `args`, under the address-space cap.
fn capped(dir: &PluginDir, args: &str) -> tokio::process::Command {
    let command = format!(
        "ulimit -v {ADDRESS_SPACE_KIB} && exec {MOAT} serve --plugins {} {args}",
        dir.path().display()
    );
    let mut sh = tokio::process::Command::new("sh");
    sh.args(["-c", &command]).env("MOAT_STARTUP_WAIT", "10m");
    sh
}

#[tokio::test]
async fn a_capped_address_space_serves_with_fewer_instance_slots() {
    let dir = PluginDir::with_math();
    let refused = capped(&dir, "")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("cannot start the WebAssembly engine")
            && said.contains("1000 instances of 4 GiB each")
            && said.contains("--max-instances N"),
        "{said}"
    );
    let served = Served::start_command(capped(&dir, "--max-instances 4")).await;
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn a_call_past_the_instance_pool_is_a_tool_error_and_the_host_recovers() {
    let dir = PluginDir::empty().with_hostile("");
    let mut command = moat_command();
    command
        .args(["serve", "--max-instances", "1", "--plugins"])
        .arg(dir.path());
    let served = Served::start_command(command).await;
    // The sleeping call holds the only slot; a call made meanwhile finds no
    // slot. It is tried from 1.5 s on, once the first has surely started,
    // until refused (the sleep ends after 6 s).
    let held = served.call("sleep", json!({"ms": 6000}));
    let more = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for _ in 0..40 {
            let result = served.call("echo", json!({"text": "hi"})).await;
            if result.is_error == Some(true) {
                return text(&result).to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        String::from("every call made during the sleep succeeded")
    };
    let (held, message) = tokio::join!(held, more);
    assert_eq!(held.structured_content.unwrap()["slept_ms"], 6000);
    assert!(
        message.contains("plugin `hostile` could not be started")
            && message.contains("every instance slot")
            && message.contains("--max-instances"),
        "{message}"
    );
    // The slot is free once the sleeping call's instance is dropped, just
    // after its answer: a call soon after gets it.
    let mut after = String::new();
    for _ in 0..50 {
        let result = served.call("echo", json!({"text": "hi"})).await;
        after = text(&result).to_owned();
        if result.is_error != Some(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after, r#"{"text":"hi"}"#);
    served.stop().await;
}
