//! `moat dev CRATE`: a plugin author edits, breaks and fixes a crate while a
//! client stays connected.

use std::path::Path;

use serde_json::json;

use crate::lifecycle::watched::Watched;

/// `src/lib.rs` of a plugin crate serving `tools`, Rust expressions of type
/// `Tool` over `Operands { x, y }` returning `Answer { result }`.
fn source(tools: &[&str]) -> String {
    format!(
        r#"use moat_plugin_sdk::Tool;
use schemars::JsonSchema;
use serde::{{Deserialize, Serialize}};

#[derive(Deserialize, JsonSchema)]
struct Operands {{ x: f64, y: f64 }}

#[derive(Serialize, JsonSchema)]
struct Answer {{ result: f64 }}

fn tools() -> Vec<Tool> {{
    vec![{}]
}}

moat_plugin_sdk::export!(tools);
"#,
        tools.join(", ")
    )
}

const ADD: &str =
    r#"Tool::new("add", "Add", |Operands { x, y }| Ok::<_, String>(Answer { result: x + y }))"#;
const ADD_BY_MULTIPLYING: &str =
    r#"Tool::new("add", "Add", |Operands { x, y }| Ok::<_, String>(Answer { result: x * y }))"#;
const NEG: &str =
    r#"Tool::new("neg", "Negate x", |Operands { x, .. }| Ok::<_, String>(Answer { result: -x }))"#;
const BROKEN: &str =
    r#"Tool::new("add", "Add", |Operands { x, y }| Ok::<_, String>(Answer { result: x +* y }))"#;

/// A plugin crate of its own, outside any workspace, as an author starts
/// one. Its dependencies are the fixtures' (same lock, so no new downloads)
/// and it builds into a directory kept between test runs.
fn new_crate(dir: &Path) {
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk");
    let manifest = format!(
        r#"[package]
name = "calc"
edition = "2024"

[lib]
crate-type = ["cdylib"]

[dependencies]
moat-plugin-sdk = {{ path = {sdk:?} }}
schemars = "1"
serde = {{ version = "1", features = ["derive"] }}

[workspace]
"#,
        sdk = sdk.canonicalize().unwrap()
    );
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dev-crates");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!("[build]\ntarget-dir = {target_dir:?}\n"),
    )
    .unwrap();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/Cargo.lock");
    std::fs::copy(lock, dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), source(&[ADD])).unwrap();
}

async fn answer(served: &Watched, tool: &str) -> f64 {
    let result = served.call(tool, json!({"x": 2, "y": 3})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.structured_content.unwrap()["result"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn edits_are_built_and_served_and_a_broken_build_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    new_crate(dir.path());
    let lib = dir.path().join("src/lib.rs");
    let (mut served, mut log) = Watched::run_logged([Path::new("dev"), dir.path()]).await;
    assert_eq!(served.tools().await, ["add"]);
    assert_eq!(answer(&served, "add").await, 5.0);

    // An edit: built, swapped in, and the client is told.
    std::fs::write(&lib, source(&[ADD_BY_MULTIPLYING, NEG])).unwrap();
    served.changed().await;
    assert_eq!(served.tools().await, ["add", "neg"]);
    assert_eq!(answer(&served, "add").await, 6.0);
    assert_eq!(answer(&served, "neg").await, -2.0);

    // A mistake: cargo's error on stderr, and the last good build answers.
    log.skip();
    std::fs::write(&lib, source(&[BROKEN, NEG])).unwrap();
    let error = log.wait_for("error[E").await;
    assert!(error.contains("cannot be dereferenced"), "{error}");
    log.wait_for("the build failed").await;
    assert_eq!(answer(&served, "add").await, 6.0);
    assert!(!served.has_changed());

    // The fix is picked up on the same connection.
    std::fs::write(&lib, source(&[ADD])).unwrap();
    served.changed().await;
    assert_eq!(served.tools().await, ["add"]);
    assert_eq!(answer(&served, "add").await, 5.0);
}
