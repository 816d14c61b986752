//! `moat serve --policy FILE` and the rate limits over stdio, where the
//! caller is always `Moat::Identity::"local"` (kind `"local"`): lists
//! filtered, a tool outside the policy answered as unknown, reload with
//! `--watch` (a good file changes decisions, a bad one keeps the previous),
//! a bad file refusing to start, and rate limits as tool errors that
//! recover after their window.
//!
//! [`PolicyFile`] and [`serve_with_policy`] are for any test that needs a
//! policy (the OAuth tests reuse them).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rmcp::ServiceError;
use serde_json::json;
use tempfile::TempDir;

use crate::harness::{
    PluginDir, Served, math_still_works, moat_blocking, moat_command, params, text,
};

/// A policy file in a directory of its own (so that `--watch` sees only
/// its changes), rewritten with [`PolicyFile::write`].
pub struct PolicyFile {
    dir: TempDir,
}

impl PolicyFile {
    /// A file `policy.cedar` holding `text`.
    pub fn new(text: &str) -> Self {
        let file = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        file.write(text);
        file
    }

    /// Replaces the file's text, atomically (as an editor saving would).
    pub fn write(&self, text: &str) {
        let staged = self.dir.path().join(".policy.cedar.new");
        std::fs::write(&staged, text).unwrap();
        std::fs::rename(&staged, self.path()).unwrap();
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("policy.cedar")
    }
}

/// A policy letting every caller of `kind` call exactly `tools`.
pub fn allow_tools(kind: &str, tools: &[&str]) -> String {
    tools
        .iter()
        .map(|tool| {
            format!(
                "permit(principal, action == Moat::Action::\"call_tool\", resource == Moat::Tool::\"{tool}\")\n  when {{ principal.kind == \"{kind}\" }};\n"
            )
        })
        .collect()
}

/// `moat serve --plugins DIR --policy FILE` and `extra`, over stdio.
pub async fn serve_with_policy(dir: &PluginDir, policy: &Path, extra: &[&str]) -> Served {
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--policy")
        .arg(policy)
        .args(extra);
    Served::start_command(command).await
}

/// The JSON-RPC error a call gets (panics if it gets a result).
async fn call_error(served: &Served, tool: &str) -> String {
    match served
        .client
        .call_tool(params(tool, json!({"x": 1, "y": 2})))
        .await
    {
        Err(ServiceError::McpError(error)) => format!("{} {}", error.code.0, error.message),
        other => panic!("{tool} should be refused: {other:?}"),
    }
}

#[tokio::test]
async fn the_list_shows_only_what_the_policy_allows_and_the_rest_is_unknown() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(&allow_tools("local", &["add", "mul"]));
    let served = serve_with_policy(&plugins, &policy.path(), &[]).await;
    let mut names = served.tool_names().await;
    names.sort();
    assert_eq!(names, ["add", "mul"]);
    // Outside the policy, `div` gets exactly what a tool that does not
    // exist gets.
    let refused = call_error(&served, "div").await;
    let unknown = call_error(&served, "nosuch").await;
    assert_eq!(refused.replace("div", "X"), unknown.replace("nosuch", "X"));
    assert!(refused.contains("-32602"), "{refused}");
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn a_policy_for_other_identities_hides_everything_from_local() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(&allow_tools("anonymous", &["add", "sub", "mul", "div"]));
    let served = serve_with_policy(&plugins, &policy.path(), &[]).await;
    assert!(served.tool_names().await.is_empty());
    call_error(&served, "mul").await;
    served.stop().await;
}

#[test]
fn a_bad_policy_file_refuses_to_start_naming_the_line() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(
        "permit(principal, action, resource);\npermit(principal, action, resource) when { principal.knid == \"local\" };\n",
    );
    let output = moat_blocking()
        .arg("serve")
        .arg("--plugins")
        .arg(plugins.path())
        .arg("--policy")
        .arg(policy.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "stdout carries MCP only");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("policy.cedar:2:"), "{stderr}");
    assert!(stderr.contains("knid"), "{stderr}");
}

/// Lists until `done` holds for the names (the reload is asynchronous);
/// a safety net of 60 s, not a speed check.
async fn list_until(served: &Served, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    for _ in 0..600 {
        let mut names = served.tool_names().await;
        names.sort();
        if done(&names) {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the list never changed");
}

#[tokio::test]
async fn a_changed_policy_is_reloaded_and_a_bad_one_keeps_the_previous() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(&allow_tools("local", &["add"]));
    let served = serve_with_policy(&plugins, &policy.path(), &["--watch"]).await;
    assert_eq!(served.tool_names().await, ["add"]);

    policy.write(&allow_tools("local", &["add", "mul", "div"]));
    let names = list_until(&served, |names| names.len() == 3).await;
    assert_eq!(names, ["add", "div", "mul"]);
    let result = served.call("div", json!({"x": 9, "y": 3})).await;
    assert_eq!(result.structured_content.unwrap()["result"], 3.0);

    // A broken file: the previous policy stays in force. Then a good one
    // again proves the watcher saw the broken one (it reloads in order).
    policy.write("permit(principal, action, resource) when { principal.nope };");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut names = served.tool_names().await;
    names.sort();
    assert_eq!(names, ["add", "div", "mul"]);
    math_still_works(&served).await;
    policy.write(&allow_tools("local", &["sub"]));
    list_until(&served, |names| names == ["sub"]).await;
    let log = served.stop().await;
    assert!(log.contains("the previous policy stays in force"), "{log}");
    assert!(log.contains("nope"), "{log}");
}

#[tokio::test]
async fn the_identity_rate_limit_is_a_tool_error_and_recovers() {
    let plugins = PluginDir::with_math();
    let policy = PolicyFile::new(&allow_tools("local", &["add", "mul"]));
    let limit = ["--rate-limit-identity", "2/s"];
    let served = serve_with_policy(&plugins, &policy.path(), &limit).await;
    // A call the policy refuses is not counted.
    call_error(&served, "div").await;
    for _ in 0..2 {
        let result = served.call("add", json!({"x": 1, "y": 1})).await;
        assert_ne!(result.is_error, Some(true), "{result:?}");
    }
    let limited = served.call("mul", json!({"x": 1, "y": 1})).await;
    assert_eq!(limited.is_error, Some(true), "{limited:?}");
    let message = text(&limited);
    assert!(message.contains("--rate-limit-identity 2/s"), "{message}");
    assert!(message.contains("retry in 1s"), "{message}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn the_tool_rate_limit_counts_each_tool_apart() {
    let plugins = PluginDir::with_math();
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(plugins.path())
        .args(["--rate-limit-tool", "1/h"]);
    let served = Served::start_command(command).await;
    math_still_works(&served).await;
    let limited = served.call("mul", json!({"x": 1, "y": 1})).await;
    assert_eq!(limited.is_error, Some(true), "{limited:?}");
    let message = text(&limited);
    assert!(message.contains("`local`'s calls to `mul`"), "{message}");
    assert!(message.contains("--rate-limit-tool 1/h"), "{message}");
    let other = served.call("add", json!({"x": 1, "y": 1})).await;
    assert_ne!(other.is_error, Some(true), "{other:?}");
    served.stop().await;
}
