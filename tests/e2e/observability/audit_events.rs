//! The audit lines of what happens to the plugins while serving: a
//! reload, a removal and a refusal under `--watch`, and the lock in force,
//! a rug pull it refuses and a new lock under `--locked`.

use serde_json::json;

use crate::harness::{PluginDir, moat_blocking};
use crate::lifecycle::watched::{Watched, serve};
use crate::observability::audit::{sha256, verify, wait_for_record};

#[tokio::test]
async fn reloads_removals_and_refusals_under_watch_are_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math().with_hostile("");
    let log_arg = log.to_str().unwrap();
    let (mut served, _stderr) = Watched::run_logged(serve(&plugins, &["--audit", log_arg])).await;

    let staged = plugins.path().join("math.wasm.part");
    std::fs::copy(moat_test_artifacts::DUPE, &staged).unwrap();
    std::fs::rename(&staged, plugins.path().join("math.wasm")).unwrap();
    served.changed().await;
    let reload = wait_for_record(&log, |r| r["kind"] == "reload").await;
    assert_eq!(reload["plugin"], "math");
    assert_eq!(
        reload["wasm"],
        sha256(&std::fs::read(moat_test_artifacts::DUPE).unwrap()).as_str()
    );

    std::fs::remove_file(plugins.path().join("hostile.wasm")).unwrap();
    served.changed().await;
    let removed = wait_for_record(&log, |r| r["kind"] == "remove").await;
    assert_eq!(removed["plugin"], "hostile");

    std::fs::write(plugins.path().join("broken.wasm"), b"garbage").unwrap();
    let refused = wait_for_record(&log, |r| r["kind"] == "refuse").await;
    assert!(
        refused["path"].as_str().unwrap().ends_with("broken.wasm"),
        "{refused}"
    );

    let answer = served.call("add", json!({"x": 5, "y": 3})).await;
    assert_ne!(answer.is_error, Some(true));
    let call = wait_for_record(&log, |r| r["kind"] == "request").await;
    assert_eq!(call["wasm"], reload["wasm"], "the call ran the new version");
    served.client.cancel().await.unwrap();
    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
}

#[tokio::test]
async fn a_rug_pull_refused_by_the_lock_and_the_new_lock_are_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = PluginDir::with_math();
    let lock = |plugins: &PluginDir| {
        let locked = moat_blocking()
            .args(["lock", "--plugins"])
            .arg(plugins.path())
            .output()
            .unwrap();
        assert!(locked.status.success(), "{locked:?}");
    };
    lock(&plugins);
    let lock_digest = || sha256(&std::fs::read(plugins.path().join("moat.lock")).unwrap());
    let first = lock_digest();
    let log_arg = log.to_str().unwrap();
    let (mut served, _stderr) =
        Watched::run_logged(serve(&plugins, &["--locked", "--audit", log_arg])).await;

    // The lock in force at start is a line.
    wait_for_record(&log, |r| {
        r["kind"] == "lock" && r["sha256"] == first.as_str()
    })
    .await;

    let staged = plugins.path().join(".partial");
    std::fs::write(&staged, crate::lifecycle::lock::rug_pulled_math()).unwrap();
    std::fs::rename(&staged, plugins.path().join("math.wasm")).unwrap();
    let refused = wait_for_record(&log, |r| r["kind"] == "refuse").await;
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("differs from what the lock"),
        "{refused}"
    );

    lock(&plugins);
    let second = lock_digest();
    assert_ne!(first, second);
    let changed = wait_for_record(&log, |r| {
        r["kind"] == "lock" && r["sha256"] == second.as_str()
    })
    .await;
    assert!(changed["path"].as_str().unwrap().ends_with("moat.lock"));
    served.changed().await;
    // The version the old lock approved is withdrawn, the new one loaded.
    let new_version = sha256(&crate::lifecycle::lock::rug_pulled_math());
    wait_for_record(&log, |r| {
        r["kind"] == "load" && r["wasm"] == new_version.as_str()
    })
    .await;
    served.client.cancel().await.unwrap();
    let (code, out) = verify(&log, &[]);
    assert_eq!(code, 0, "{out}");
}

#[tokio::test]
async fn a_plugin_the_lint_refuses_for_naming_another_plugins_tool_is_a_refuse_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let plugins = crate::lifecycle::lint::poisoned_beside_math().write(
        "poisoned.toml",
        crate::lifecycle::lint::ACCEPT_ALL_BUT_SHADOWING.as_bytes(),
    );
    let log_arg = log.to_str().unwrap();
    let (served, _stderr) = Watched::run_logged(serve(&plugins, &["--audit", log_arg])).await;
    let refused = wait_for_record(&log, |r| r["kind"] == "refuse").await;
    assert!(
        refused["path"].as_str().unwrap().ends_with("poisoned.wasm"),
        "{refused}"
    );
    assert!(
        refused["reason"].as_str().unwrap().contains("MOAT-L006"),
        "{refused}"
    );
    assert_eq!(served.tools().await, ["add", "sub", "mul", "div"]);
}
