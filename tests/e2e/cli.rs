//! `moat list` and `moat call`, as a plugin author uses them.

use std::process::Output;

use serde_json::Value;

use crate::harness::{MOAT, PluginDir, moat_blocking};

fn moat(args: &[&str], dir: &PluginDir) -> Output {
    std::process::Command::new(MOAT)
        .args(args)
        .arg("--plugins")
        .arg(dir.path())
        .output()
        .unwrap()
}

#[test]
fn list_prints_each_plugin_and_its_tools() {
    let output = moat(&["list"], &PluginDir::with_math());
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("math ("), "{stdout}");
    for line in ["add", "sub", "mul", "div"] {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(line)),
            "{stdout}"
        );
    }
    assert!(stdout.contains("Multiply two numbers"), "{stdout}");
}

#[test]
fn call_prints_the_result_and_exits_by_outcome() {
    let dir = PluginDir::with_math();
    let output = moat(&["call", "mul", "--args", r#"{"x": 25, "y": 17}"#], &dir);
    assert!(output.status.success(), "{output:?}");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["structuredContent"]["result"], 425.0);

    let output = moat(&["call", "div", "--args", r#"{"x": 1, "y": 0}"#], &dir);
    assert_eq!(output.status.code(), Some(1), "a tool error exits 1");
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["isError"], true);

    let output = moat(&["call", "pow", "--args", "{}"], &dir);
    assert_eq!(output.status.code(), Some(2), "an unknown tool exits 2");
    assert!(String::from_utf8_lossy(&output.stderr).contains("Unknown tool: pow"));

    let output = moat(&["call", "add", "--args", "[1, 2]"], &dir);
    assert_eq!(
        output.status.code(),
        Some(2),
        "arguments that are not an object exit 2"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("--args is not a JSON object"));
}

#[test]
fn check_reports_grants_and_denials_in_plain_words() {
    let dir = PluginDir::empty().with_hostile("");
    let output = std::process::Command::new(MOAT)
        .arg("check")
        .arg(dir.path().join("hostile.wasm"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.contains("manifest: none, so nothing is granted"),
        "{report}"
    );
    for (import, verdict) in [
        ("wasi:filesystem/types", "denied: no directories granted"),
        ("wasi:sockets/tcp@", "denied: no network granted"),
        ("wasi:cli/environment", "empty: no environment variables"),
        ("wasi:cli/stdout", "captured"),
    ] {
        let line = report
            .lines()
            .find(|l| l.contains(import))
            .unwrap_or_else(|| panic!("{import}: {report}"));
        assert!(line.contains(verdict), "{line}");
    }

    let dir = PluginDir::empty().with_hostile("[limits]\nmax_handles = 40\nmax_tools = 70\n");
    let output = std::process::Command::new(MOAT)
        .arg("check")
        .arg(dir.path().join("hostile.wasm"))
        .output()
        .unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        report.contains("per call at most 40 resource handles and 64 open files"),
        "{report}"
    );
    assert!(
        report.contains("at load at most 70 tools, 1000 resources"),
        "{report}"
    );

    let dir = PluginDir::empty()
        .copy(moat_test_artifacts::FILES, "files.wasm")
        .with_bundle(moat_test_artifacts::FILES_BUNDLE);
    let output = std::process::Command::new(MOAT)
        .arg("check")
        .arg(dir.path().join("files.wasm"))
        .output()
        .unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    let line = report
        .lines()
        .find(|l| l.contains("wasi:filesystem/types"))
        .unwrap();
    assert!(
        line.contains("granted: /data = ") && line.contains("(read-only)"),
        "{line}"
    );

    let dir = PluginDir::empty()
        .with_hostile("[capabilities]\nfiles = [{ host = \"missing\", guest = \"/m\" }]\n");
    let output = std::process::Command::new(MOAT)
        .arg("check")
        .arg(dir.path().join("hostile.wasm"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hostile.toml") && stderr.contains("cannot open host directory"),
        "{stderr}"
    );
}

#[test]
fn the_compile_cache_is_filled_and_a_corrupt_entry_is_rebuilt() {
    let dir = PluginDir::with_math();
    let cache = tempfile::tempdir().unwrap();
    let call = || {
        std::process::Command::new(MOAT)
            .args(["call", "mul", "--args", r#"{"x": 25, "y": 17}"#, "--cache"])
            .arg(cache.path())
            .arg("--plugins")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let entries = || -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![cache.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_none() {
                    found.push(path);
                }
            }
        }
        found
    };
    let product = |output: &Output| -> Value {
        assert!(output.status.success(), "{output:?}");
        serde_json::from_slice::<Value>(&output.stdout).unwrap()["structuredContent"]["result"]
            .clone()
    };

    assert_eq!(product(&call()), 425.0);
    let compiled = entries();
    assert!(!compiled.is_empty(), "the first run fills the cache");
    assert_eq!(product(&call()), 425.0, "a cached run answers the same");

    for entry in &compiled {
        std::fs::write(entry, b"not compiled code").unwrap();
    }
    let output = call();
    assert_eq!(product(&output), 425.0, "a corrupt entry is compiled again");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cache"),
        "{output:?}"
    );
}

#[test]
fn check_says_why_a_file_cannot_be_read_once() {
    let dir = PluginDir::with_math();
    let out = moat_blocking()
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read the file: Is a directory"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Is a directory").count(), 1, "{stderr}");
}
