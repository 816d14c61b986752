//! Serving does not wait for a slow plugin (issue 13): after
//! `--startup-wait`, the plugins loaded so far are served, and one still
//! loading is served when it has loaded, with `list_changed`.

use std::ffi::OsStr;

use crate::harness::PluginDir;
use crate::lifecycle::watched::Watched;

#[tokio::test]
async fn a_plugin_still_loading_after_the_startup_wait_is_served_when_it_loads() {
    // Listing its tools takes the lister 15 s; its load budget allows 60.
    let manifest = "[tools]\nprefix = \"late\"\n[capabilities]\nenv = { LISTER_SLEEP_MS = \"15000\" }\n\
                    [limits]\ntimeout = \"60s\"\nload_timeout = \"60s\"\n";
    let dir = PluginDir::with_math()
        .copy(moat_test_artifacts::LISTER, "late.wasm")
        .write("late.toml", manifest.as_bytes());
    let mut args: Vec<&OsStr> = ["serve", "--startup-wait", "2s", "--plugins"]
        .map(OsStr::new)
        .to_vec();
    args.push(dir.path().as_os_str());
    let (mut watched, mut log) = Watched::run_logged(args).await;
    let first = watched.tools().await;
    assert!(
        !first.iter().any(|name| name == "late_t0"),
        "the host waited for the slow plugin: {first:?}"
    );
    log.wait_for("still loading").await;
    // The math plugin may also arrive after the wait: follow every change
    // until the late plugin's tool is listed.
    loop {
        watched.changed().await;
        if watched.tools().await.iter().any(|name| name == "late_t0") {
            break;
        }
    }
    log.wait_for("plugin `late`").await;
    let result = watched
        .call("mul", serde_json::json!({ "x": 25, "y": 17 }))
        .await;
    assert_eq!(result.structured_content.unwrap()["result"], 425.0);
}
