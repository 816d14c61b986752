//! `[secrets]` in a manifest, through the real binary and the `leaky`
//! fixture (which echoes what it is given and answers fake secrets in
//! text, structured content, an embedded resource, a resource and a
//! prompt): off passes everything, `arguments` refuses or redacts what a
//! request carries in, `results` what an answer carries out; the host
//! keeps serving, and its log never shows a secret.

use rmcp::model::{GetPromptRequestParams, JsonObject, ReadResourceRequestParams};
use serde_json::{Value, json};

use crate::harness::{MOAT, PluginDir, Served, tool_error};

const AWS_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const GITHUB_TOKEN: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
/// A line of the fixture's private key, and its armour.
const KEY_BODY: &str = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ";
const KEY_ARMOUR: &str = "OPENSSH PRIVATE KEY";

/// Every secret the tests use, and what of the key shows.
const SECRETS: [&str; 5] = [
    AWS_ACCESS_KEY,
    AWS_SECRET_KEY,
    GITHUB_TOKEN,
    KEY_BODY,
    KEY_ARMOUR,
];

/// A directory with the leaky fixture and, unless empty, its manifest.
fn leaky(manifest: &str) -> PluginDir {
    let dir = PluginDir::empty().copy(moat_test_artifacts::LEAKY, "leaky.wasm");
    match manifest {
        "" => dir,
        manifest => dir.write("leaky.toml", manifest.as_bytes()),
    }
}

/// `what`, serialized, holds none of the secrets.
fn clean(what: &str, json: &str) {
    for secret in SECRETS {
        assert!(!json.contains(secret), "{what} shows {secret}: {json}");
    }
}

/// Stops `served` and checks its log never showed a secret; returns the log.
async fn stop_clean(served: Served) -> String {
    let log = served.stop().await;
    clean("moat's log", &log);
    log
}

/// The arguments of an echo carrying two secrets, one deep.
fn secret_arguments() -> Value {
    json!({
        "text": format!("id {AWS_ACCESS_KEY}"),
        "extra": {"auth": {"token": GITHUB_TOKEN}, "n": 1},
    })
}

async fn read(served: &Served, uri: &str) -> Result<Value, String> {
    let params = ReadResourceRequestParams::new(uri);
    match served.client.read_resource(params).await {
        Ok(result) => Ok(serde_json::to_value(result).unwrap()),
        Err(error) => Err(error.to_string()),
    }
}

async fn prompt(served: &Served, name: &str, arguments: Value) -> Result<Value, String> {
    let arguments: JsonObject = serde_json::from_value(arguments).unwrap();
    let params = GetPromptRequestParams::new(name).with_arguments(arguments);
    match served.client.get_prompt(params).await {
        Ok(result) => Ok(serde_json::to_value(result).unwrap()),
        Err(error) => Err(error.to_string()),
    }
}

async fn complete(served: &Served, value: &str) -> Result<Vec<String>, String> {
    let completion = served
        .client
        .complete_prompt_argument("echo", "text", value, None)
        .await;
    completion.map(|c| c.values).map_err(|e| e.to_string())
}

/// The echo answers plain text: the host still serves, and runs the plugin.
async fn still_serves(served: &Served) {
    let result = served.call("echo", json!({"text": "hello"})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(result.structured_content.unwrap()["text"], "hello");
}

#[tokio::test]
async fn without_a_policy_everything_passes() {
    let served = Served::start(&leaky("")).await;
    let result = served.call("echo", secret_arguments()).await;
    let structured = result.structured_content.unwrap();
    assert_eq!(structured, secret_arguments());
    let result = served.call("leak", json!({})).await;
    let json = serde_json::to_string(&result).unwrap();
    for secret in SECRETS {
        assert!(json.contains(secret), "{secret}: {json}");
    }
    served.stop().await;
}

#[tokio::test]
async fn refused_arguments_never_reach_the_plugin() {
    let served = Served::start(&leaky("[secrets]\narguments = \"refuse\"\n")).await;
    let message = tool_error(&served, "echo", secret_arguments()).await;
    for part in [
        "`aws-access-key` at /text",
        "`github-token` at /extra/auth/token",
        "secrets.arguments = \"refuse\"",
        "not run",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    clean("the refusal", &message);

    // Large arguments are scanned off the async threads: the same answer.
    let big = json!({"text": format!("{} {AWS_ACCESS_KEY}", "words ".repeat(40_000))});
    let message = tool_error(&served, "echo", big).await;
    assert!(message.contains("`aws-access-key` at /text"), "{message}");

    let refused = prompt(&served, "echo", json!({"text": GITHUB_TOKEN})).await;
    let refused = refused.expect_err("a prompt with a secret is refused");
    assert!(refused.contains("`github-token` at /text"), "{refused}");
    clean("the prompt's refusal", &refused);
    let uri = format!("leaky://echo/{GITHUB_TOKEN}");
    let refused = read(&served, &uri).await.expect_err("refused");
    assert!(refused.contains("`github-token` at the top"), "{refused}");
    assert!(
        refused.contains("leaky://echo/[REDACTED:github-token]"),
        "{refused}"
    );
    clean("the read's refusal", &refused);

    let refused = complete(&served, GITHUB_TOKEN).await.expect_err("refused");
    assert!(refused.contains("`github-token` at /value"), "{refused}");
    clean("the completion's refusal", &refused);

    // Plain arguments still pass, and the plugin runs for them only.
    still_serves(&served).await;
    assert!(prompt(&served, "echo", json!({"text": "hi"})).await.is_ok());
    assert!(read(&served, "leaky://echo/hi").await.is_ok());
    let log = stop_clean(served).await;
    assert_eq!(log.matches("leaky: echo ran").count(), 1, "{log}");
    assert_eq!(log.matches("leaky: prompt ran").count(), 1, "{log}");
    assert_eq!(log.matches("leaky: read ran").count(), 1, "{log}");
    // One warning per refused request, naming the rules and where.
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("moat::plugins::secrets"))
        .collect();
    assert_eq!(warnings.len(), 5, "{log}");
    // Findings follow the arguments' key order, which is the client's when
    // serde_json preserves order (a dependency, cedar-policy, turns that on).
    for (warning, places) in warnings.iter().zip([
        &[
            "`github-token` at /extra/auth/token",
            "`aws-access-key` at /text",
        ][..],
        &["`aws-access-key` at /text"],
        &["`github-token` at /text"],
        &["`github-token` at the top"],
    ]) {
        for place in places {
            assert!(warning.contains(place), "{warning}");
        }
        assert!(warning.contains("plugin=\"leaky\""), "{warning}");
    }
}

#[tokio::test]
async fn redacted_arguments_reach_the_plugin_redacted() {
    let served = Served::start(&leaky("[secrets]\narguments = \"redact\"\n")).await;
    let result = served.call("echo", secret_arguments()).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(
        result.structured_content.unwrap(),
        json!({
            "text": "id [REDACTED:aws-access-key]",
            "extra": {"auth": {"token": "[REDACTED:github-token]"}, "n": 1},
        }),
        "the plugin saw the redacted arguments, the rest as sent"
    );
    let said = prompt(
        &served,
        "echo",
        json!({"text": format!("key {AWS_ACCESS_KEY}")}),
    )
    .await;
    let said = said.unwrap();
    assert_eq!(
        said["messages"][0]["content"]["text"],
        "you said key [REDACTED:aws-access-key]"
    );
    let uri = format!("leaky://echo/{GITHUB_TOKEN}");
    let read = read(&served, &uri).await.unwrap();
    assert_eq!(
        read["contents"][0]["text"],
        "you read [REDACTED:github-token]"
    );
    // Results are not scanned under this policy: the plugin's own leak passes.
    let result = served.call("leak", json!({})).await;
    assert!(text_of(&result).contains(AWS_ACCESS_KEY));
    still_serves(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn redacted_results_show_the_client_no_secret() {
    let served = Served::start(&leaky("[secrets]\nresults = \"redact\"\n")).await;
    let result = served.call("leak", json!({})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let json = serde_json::to_value(&result).unwrap();
    clean("the result", &json.to_string());
    assert_eq!(
        json["content"][0]["text"],
        "id [REDACTED:aws-access-key], token [REDACTED:github-token], and the key:\n[REDACTED:private-key]"
    );
    assert_eq!(
        json["content"][1]["resource"]["text"],
        "[REDACTED:private-key]"
    );
    assert_eq!(json["content"][1]["resource"]["uri"], "leaky://key");
    assert_eq!(
        json["structuredContent"],
        json!({
            "aws_access_key_id": "[REDACTED:aws-access-key]",
            "aws_secret_access_key": "[REDACTED:aws-secret-key]",
            "github": {"token": "[REDACTED:github-token]"},
            "plain": "nothing secret here",
        })
    );

    // A redacted string is still a string: a result still matches an
    // output schema of types...
    let result = served.call("leak_typed", json!({})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let structured = result.structured_content.unwrap();
    assert_eq!(
        structured,
        json!({"token": "[REDACTED:github-token]", "note": "kept"})
    );
    // ... but not one that pins the secret's shape: that is a tool error.
    let message = tool_error(&served, "leak_pattern", json!({})).await;
    assert!(
        message.contains("does not match its output schema"),
        "{message}"
    );
    clean("the schema error", &message);

    let read = read(&served, "leaky://key").await.unwrap();
    assert_eq!(read["contents"][0]["text"], "[REDACTED:private-key]");
    let suggested = complete(&served, "ab").await.unwrap();
    assert_eq!(suggested, ["ab!", "[REDACTED:github-token]"]);
    let said = prompt(&served, "leak", json!({})).await.unwrap();
    assert_eq!(
        said["messages"][0]["content"]["text"],
        "use [REDACTED:aws-access-key]"
    );
    // An echo of a secret is redacted on its way back, a large one too
    // (scanned off the async threads).
    let result = served.call("echo", secret_arguments()).await;
    clean("the echo", &serde_json::to_string(&result).unwrap());
    let filler = "words ".repeat(40_000);
    let big = json!({"text": format!("{filler}{GITHUB_TOKEN}")});
    let result = served.call("echo", big).await;
    let echoed = &result.structured_content.as_ref().unwrap()["text"];
    assert_eq!(*echoed, format!("{filler}[REDACTED:github-token]"));
    still_serves(&served).await;
    let log = stop_clean(served).await;
    assert!(
        log.lines()
            .any(|l| l.contains("carries what looks like a secret")
                && l.contains("`aws-secret-key` at /structuredContent/aws_secret_access_key")),
        "{log}"
    );
}

#[tokio::test]
async fn refused_results_are_errors_naming_the_rules() {
    let served = Served::start(&leaky("[secrets]\nresults = \"refuse\"\n")).await;
    let message = tool_error(&served, "leak", json!({})).await;
    for part in [
        "`aws-access-key` at /content/0/text",
        "`private-key` at /content/1/resource/text",
        "`aws-secret-key` at /structuredContent/aws_secret_access_key",
        "secrets.results = \"refuse\"",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    clean("the refusal", &message);
    let refused = read(&served, "leaky://key").await.expect_err("refused");
    assert!(refused.contains("`private-key` at /0/text"), "{refused}");
    clean("the read's refusal", &refused);
    let refused = prompt(&served, "leak", json!({}))
        .await
        .expect_err("refused");
    assert!(refused.contains("aws-access-key"), "{refused}");
    clean("the prompt's refusal", &refused);
    still_serves(&served).await;

    // A crash's message carries the plugin's stderr: redacted too.
    let message = tool_error(&served, "crash", json!({})).await;
    assert!(message.contains("crashed"), "{message}");
    assert!(message.contains("[REDACTED:github-token]"), "{message}");
    clean("the crash", &message);
    still_serves(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn typed_tools_pass_the_policy_too() {
    let typed = |name: &str, manifest: &str, dir: PluginDir| {
        dir.copy(moat_test_artifacts::TYPED, &format!("{name}.wasm"))
            .write(&format!("{name}.toml"), manifest.as_bytes())
    };
    let dir = typed(
        "refusing",
        "[tools]\nprefix = \"in\"\n[secrets]\narguments = \"refuse\"\n",
        PluginDir::empty(),
    );
    let dir = typed(
        "redacting",
        "[tools]\nprefix = \"out\"\n[secrets]\nresults = \"redact\"\n",
        dir,
    );
    let served = Served::start(&dir).await;
    let arguments = json!({"c": "x", "s": format!("id {AWS_ACCESS_KEY}")});
    let message = tool_error(&served, "in_text", arguments.clone()).await;
    assert!(message.contains("`aws-access-key` at /s"), "{message}");
    clean("the refusal", &message);
    let result = served.call("out_text", arguments).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let json = serde_json::to_string(&result).unwrap();
    assert!(json.contains("id [REDACTED:aws-access-key]"), "{json}");
    clean("the result", &json);
    let result = served
        .call("in_text", json!({"c": "x", "s": "plain"}))
        .await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    stop_clean(served).await;
}

#[test]
fn check_shows_the_policy() {
    let report = |dir: &PluginDir| {
        let output = std::process::Command::new(MOAT)
            .arg("check")
            .arg(dir.path().join("leaky.wasm"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let report_of = report(&leaky(""));
    assert!(
        report_of.contains("secrets: arguments off, results off"),
        "{report_of}"
    );
    let dir = leaky("[secrets]\narguments = \"refuse\"\nresults = \"redact\"\n");
    let report_of = report(&dir);
    assert!(
        report_of.contains("secrets: arguments refuse, results redact"),
        "{report_of}"
    );
}

fn text_of(result: &rmcp::model::CallToolResult) -> String {
    serde_json::to_string(&result.content).unwrap()
}
