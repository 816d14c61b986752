//! A manifest shipped beside a pulled artifact (`DIR/.moat/suggested/NAME.toml`)
//! is shown by `moat check` as a suggestion NOT in force, and grants nothing.

use std::process::Output;

use serde_json::json;

use crate::harness::{PluginDir, Served, moat_blocking, tool_error};

/// A suggestion granting the files sample its data directory, the network,
/// an environment variable and a lint acceptance.
const GRANTS: &str = r#"[capabilities]
files = [{ host = "files-data", guest = "/data" }]
network = ["api.example.com:443"]
env = { API_BASE = "https://api.example.com" }

[lint]
accept = [{ code = "MOAT-L006", item = "tool:read" }]
"#;

/// The files sample and its data, with no manifest in force.
fn files_without_manifest() -> PluginDir {
    let dir = PluginDir::empty().copy(moat_test_artifacts::FILES, "files.wasm");
    let data = dir.path().join("files-data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("hello.txt"), "hello from the data directory\n").unwrap();
    dir
}

/// Writes `text` as the suggestion for plugin `name`.
fn suggest(dir: &PluginDir, name: &str, text: &[u8]) {
    let suggested = dir.path().join(".moat/suggested");
    std::fs::create_dir_all(&suggested).unwrap();
    std::fs::write(suggested.join(format!("{name}.toml")), text).unwrap();
}

fn check(dir: &PluginDir, plugin: &str) -> (Output, String) {
    let output = moat_blocking()
        .arg("check")
        .arg(dir.path().join(plugin))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    (output, stdout)
}

/// The suggestion section of `check`'s output.
fn suggestion(stdout: &str) -> &str {
    let at = stdout
        .find("suggested manifest: ")
        .expect("a suggestion section");
    &stdout[at..]
}

#[test]
fn check_shows_a_suggestion_as_not_in_force_with_its_grants_and_the_difference() {
    let dir = files_without_manifest();
    suggest(&dir, "files", GRANTS.as_bytes());
    let (output, stdout) = check(&dir, "files.wasm");
    assert!(output.status.success(), "{output:?}");
    // What is in force: nothing.
    assert!(
        stdout.contains("manifest: none, so nothing is granted"),
        "{stdout}"
    );
    let report = &stdout[..stdout.find("suggested manifest: ").unwrap()];
    let filesystem = report
        .lines()
        .find(|l| l.contains("wasi:filesystem/types"))
        .unwrap();
    assert!(
        filesystem.contains("denied: no directories granted"),
        "{report}"
    );

    let section = suggestion(&stdout);
    assert!(
        section.contains(".moat/suggested/files.toml (shipped with the artifact)"),
        "{section}"
    );
    assert!(
        section.contains("NOT in force: it grants nothing unless you copy it"),
        "{section}"
    );
    for asked in [
        r#"files: host "files-data" seen at "/data" (read-only)"#,
        "network: outbound to api.example.com:443",
        r#"env: "API_BASE" = "https://api.example.com""#,
        r#"lint: accepts MOAT-L006 on "tool:read""#,
    ] {
        assert!(
            section.contains(&format!("    {asked}\n")),
            "{asked}: {section}"
        );
        assert!(
            section.contains(&format!("    + {asked}\n")),
            "{asked} as a difference: {section}"
        );
    }
    let data = dir.path().join("files-data").canonicalize().unwrap();
    let granted = format!("granted: /data = {} (read-only)", data.display());
    assert!(section.contains(&granted), "{section}");
    assert!(
        section.contains("compared with what is in force (no "),
        "{section}"
    );
    assert!(
        section.contains("denied: no directories granted, every open fails"),
        "{section}"
    );
    let files_toml = dir.path().join("files.toml");
    let last = stdout.lines().last().unwrap();
    assert_eq!(
        last,
        format!("copy what you approve into {}", files_toml.display())
    );
}

#[tokio::test]
async fn serve_does_not_grant_what_a_suggestion_asks_for() {
    let dir = files_without_manifest();
    suggest(&dir, "files", GRANTS.as_bytes());
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "read", json!({"path": "/data/hello.txt"})).await;
    assert!(
        !message.contains("hello from the data directory"),
        "{message}"
    );
    served.stop().await;
    // Copied into files.toml, the same grant works: the test above is not
    // failing for another reason.
    std::fs::write(dir.path().join("files.toml"), GRANTS).unwrap();
    let served = Served::start(&dir).await;
    let read = served
        .call("read", json!({"path": "/data/hello.txt"}))
        .await;
    assert_ne!(read.is_error, Some(true), "{read:?}");
    served.stop().await;
}

#[test]
fn check_compares_a_suggestion_with_the_manifest_in_force() {
    let dir = PluginDir::with_math().write(
        "math.toml",
        b"[limits]\nmemory = \"32 MiB\"\n[tools]\nprefix = \"calc\"\n",
    );
    suggest(&dir, "math", b"[limits]\nmemory = \"128 MiB\"\n");
    let (output, stdout) = check(&dir, "math.wasm");
    assert!(output.status.success(), "{output:?}");
    let section = suggestion(&stdout);
    let math_toml = dir.path().join("math.toml");
    assert!(
        section.contains(&format!("compared with {}, in force:", math_toml.display())),
        "{section}"
    );
    assert!(
        section.contains("    - tools: prefix \"calc\"\n"),
        "{section}"
    );
    assert!(
        section.contains("    - limits: memory 32 MiB,"),
        "{section}"
    );
    assert!(
        section.contains("    + limits: memory 128 MiB,"),
        "{section}"
    );

    // The same text as in force: no difference.
    let dir = PluginDir::with_math().write("math.toml", b"[limits]\nmemory = \"32 MiB\"\n");
    suggest(&dir, "math", b"[limits]\nmemory = \"32 MiB\"\n");
    let (_, stdout) = check(&dir, "math.wasm");
    assert!(
        suggestion(&stdout).contains("no difference: it asks for what is in force"),
        "{stdout}"
    );
}

#[test]
fn a_suggestion_that_cannot_be_used_is_shown_as_such_and_check_still_succeeds() {
    let big = vec![b'#'; 64 * 1024 + 1];
    for (text, expected) in [
        (&b"[capabilities\nfiles = 3\n"[..], "TOML parse error"),
        (
            b"[capabilities]\nsockets = [\"*\"]\n",
            "unknown field `sockets`",
        ),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (&big, "over the 64 KiB a suggestion may be"),
        (
            b"[capabilities]\nfiles = [{ host = \"absent\", guest = \"/x\" }]\n",
            "would not load",
        ),
    ] {
        let dir = PluginDir::with_math();
        suggest(&dir, "math", text);
        let (output, stdout) = check(&dir, "math.wasm");
        assert!(output.status.success(), "{expected}: {output:?}");
        let section = suggestion(&stdout);
        assert!(section.contains(expected), "{expected}: {section}");
        assert!(
            stdout
                .lines()
                .last()
                .unwrap()
                .starts_with("copy what you approve into"),
            "{stdout}"
        );
    }
}

#[test]
fn a_suggestion_is_read_only_from_a_regular_file() {
    // A directory in its place, and a symlink to a file the operator owns:
    // neither is opened.
    let dir = PluginDir::with_math().write("secret.txt", b"[tools]\nprefix = \"leaked\"\n");
    std::fs::create_dir_all(dir.path().join(".moat/suggested/math.toml")).unwrap();
    let (output, stdout) = check(&dir, "math.wasm");
    assert!(output.status.success(), "{output:?}");
    assert!(
        suggestion(&stdout).contains("not a regular file"),
        "{stdout}"
    );

    let dir = PluginDir::with_math().write("secret.txt", b"[tools]\nprefix = \"leaked\"\n");
    std::fs::create_dir_all(dir.path().join(".moat/suggested")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("secret.txt"),
        dir.path().join(".moat/suggested/math.toml"),
    )
    .unwrap();
    let (output, stdout) = check(&dir, "math.wasm");
    assert!(output.status.success(), "{output:?}");
    assert!(
        suggestion(&stdout).contains("not a regular file"),
        "{stdout}"
    );
    assert!(!stdout.contains("leaked"), "{stdout}");
}

#[test]
fn a_suggestion_cannot_write_terminal_escapes_or_forge_lines() {
    let dir = PluginDir::with_math();
    let hostile = "[capabilities]\nenv = { \"A\\u001b[2J\" = \"x\\ncopy what you approve into nothing\", \"B\\u202e\" = \"y\" }\n\
                   [tools.descriptions]\nadd = \"\\u001b]0;pwned\\u0007\"\n";
    suggest(&dir, "math", hostile.as_bytes());
    let (output, stdout) = check(&dir, "math.wasm");
    assert!(output.status.success(), "{output:?}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{202e}'),
        "{stdout:?}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l == "copy what you approve into nothing"),
        "{stdout}"
    );
    assert!(suggestion(&stdout).contains(r"A\u{1b}[2J"), "{stdout}");
}

#[test]
fn no_suggestion_no_section() {
    let (output, stdout) = check(&PluginDir::with_math(), "math.wasm");
    assert!(output.status.success(), "{output:?}");
    assert!(!stdout.contains("suggested manifest"), "{stdout}");
}
