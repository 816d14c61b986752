//! `moat lock` and `moat serve --locked`: a plugin whose tool definitions
//! changed (a rug pull: same tool, new description) is refused.

use std::process::Output;

use serde_json::json;

use crate::harness::{PluginDir, moat_blocking};
use crate::lifecycle::watched::{Watched, serve};

/// The math plugin with one changed word in `add`'s description, as an
/// attacker who edits the binary would leave it: same tools, same schemas.
pub fn rug_pulled_math() -> Vec<u8> {
    patched(
        moat_test_artifacts::MATH,
        b"Add two numbers",
        b"Add all numbers",
    )
}

/// The plugin at `path` with every `from` replaced by `to`, of equal length.
fn patched(path: &str, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let bytes = std::fs::read(path).unwrap();
    let at: Vec<usize> = (0..bytes.len() - from.len())
        .filter(|&i| bytes[i..].starts_with(from))
        .collect();
    assert!(
        !at.is_empty(),
        "{path} no longer says {:?}",
        String::from_utf8_lossy(from)
    );
    let mut patched = bytes;
    for i in at {
        patched[i..i + to.len()].copy_from_slice(to);
    }
    patched
}

fn moat(args: &[&str], dir: &PluginDir) -> Output {
    let output = moat_blocking()
        .args(args)
        .arg("--plugins")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success() || !args.contains(&"lock"),
        "{output:?}"
    );
    output
}

/// Writes `bytes` to `name` in `dir` at once, as a careful operator would.
fn replace(dir: &PluginDir, name: &str, bytes: &[u8]) {
    let partial = dir.path().join(".partial");
    std::fs::write(&partial, bytes).unwrap();
    std::fs::rename(partial, dir.path().join(name)).unwrap();
}

async fn description(served: &Watched, tool: &str) -> String {
    let tools = served.client.list_all_tools().await.unwrap();
    let tool = tools.iter().find(|t| t.name == tool).unwrap();
    tool.description.as_deref().unwrap().to_owned()
}

#[tokio::test]
async fn a_changed_description_is_refused_until_the_operator_locks_again() {
    let dir = PluginDir::with_math().with_hostile("");
    let locked = moat(&["lock"], &dir);
    let said = String::from_utf8_lossy(&locked.stdout);
    assert!(
        said.starts_with("locked ") && said.contains(" of 2 plugins in "),
        "{said}"
    );

    let (mut served, mut log) = Watched::run_logged(serve(&dir, &["--locked"])).await;
    assert_eq!(description(&served, "add").await, "Add two numbers");

    // The rug pull: refused, reported with what changed, the approved
    // version keeps serving and the client is told of no change.
    replace(&dir, "math.wasm", &rug_pulled_math());
    let refusal = log.wait_for("refused: it differs from what the lock").await;
    assert!(refusal.contains("math.wasm"), "{refusal}");
    assert!(
        refusal.contains(
            r#"tool `add`: description changed (the description is now "Add all numbers")"#
        ),
        "{refusal}"
    );
    assert!(
        !refusal.contains("tool `sub`"),
        "only add changed: {refusal}"
    );
    assert!(!served.has_changed());
    assert_eq!(description(&served, "add").await, "Add two numbers");
    let sum = served.call("add", json!({"x": 2, "y": 3})).await;
    assert_eq!(sum.structured_content.unwrap()["result"], 5.0);

    // The operator approves it: the new lock is taken up without a restart.
    moat(&["lock"], &dir);
    log.wait_for("read the new lock").await;
    served.changed().await;
    assert_eq!(description(&served, "add").await, "Add all numbers");
    let echoed = served.call("echo", json!({"text": "still here"})).await;
    assert_ne!(echoed.is_error, Some(true), "{echoed:?}");
}

#[tokio::test]
async fn a_plugin_the_lock_has_never_seen_is_refused_at_start() {
    let dir = PluginDir::with_math();
    moat(&["lock"], &dir);
    let dir = dir.with_hostile("");
    let (served, mut log) = Watched::run_logged(serve(&dir, &["--locked"])).await;
    let refusal = log
        .wait_for("hostile.wasm: refused: it differs from what the lock")
        .await;
    assert!(
        refusal.contains("the plugin is not in the lock"),
        "{refusal}"
    );
    assert_eq!(served.tools().await, ["add", "sub", "mul", "div"]);
}

#[test]
fn locked_without_a_lock_stops_and_says_how_to_write_one() {
    let dir = PluginDir::with_math();
    let output = moat(&["serve", "--locked"], &dir);
    assert_eq!(output.status.code(), Some(2));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("moat.lock") && log.contains("moat lock --plugins"),
        "{log}"
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn a_changed_prompt_description_is_refused_too() {
    let dir = PluginDir::empty().copy(moat_test_artifacts::EVERYTHING, "everything.wasm");
    moat(&["lock"], &dir);
    let pulled = patched(
        moat_test_artifacts::EVERYTHING,
        b"A simple prompt without arguments",
        b"A simple prompt: obey this text!!",
    );
    replace(&dir, "everything.wasm", &pulled);
    let (served, mut log) = Watched::run_logged(serve(&dir, &["--locked"])).await;
    let refusal = log.wait_for("refused: it differs from what the lock").await;
    assert!(
        refusal.contains(r#"prompt `test_simple_prompt`: description changed (the description is now "A simple prompt: obey this text!!")"#),
        "{refusal}"
    );
    assert!(served.tools().await.is_empty());
}

/// `bytes` with a custom section appended: another component, with the same
/// code and definitions, as a rebuilt or tampered file would be.
fn with_custom_section(mut bytes: Vec<u8>, payload: &[u8]) -> Vec<u8> {
    let name = b"moat-test";
    let size = 1 + name.len() + payload.len();
    assert!(size < 128, "one LEB128 byte");
    bytes.extend([0, size as u8, name.len() as u8]);
    bytes.extend(name);
    bytes.extend(payload);
    bytes
}

#[tokio::test]
async fn a_swapped_component_with_the_same_definitions_is_refused_naming_both_digests() {
    let dir = PluginDir::with_math();
    moat(&["lock"], &dir);
    let math = std::fs::read(moat_test_artifacts::MATH).unwrap();
    let locked = crate::observability::audit::sha256(&math);
    let lock = std::fs::read_to_string(dir.path().join("moat.lock")).unwrap();
    assert!(
        lock.contains(&format!("[math]\nwasm = \"{locked}\"")),
        "{lock}"
    );

    let swapped = with_custom_section(math, b"swapped");
    let found = crate::observability::audit::sha256(&swapped);
    replace(&dir, "math.wasm", &swapped);
    let (served, mut log) = Watched::run_logged(serve(&dir, &["--locked"])).await;
    let refusal = log.wait_for("math.wasm: refused").await;
    assert!(
        refusal.contains(&format!(
            "the component is not the one locked: its SHA-256 is {found}, the lock's {locked}"
        )),
        "{refusal}"
    );
    assert!(
        !refusal.contains("tool `"),
        "the definitions match: {refusal}"
    );
    assert!(served.tools().await.is_empty());

    // Locked again, the same bytes are approved.
    moat(&["lock"], &dir);
    let (served, _log) = Watched::run_logged(serve(&dir, &["--locked"])).await;
    assert_eq!(served.tools().await, ["add", "sub", "mul", "div"]);
}
