//! Hostile input stays linear: long runs of what rules look for, built to
//! make a backtracking engine, or a search that runs past its match, take
//! quadratic time. Each must finish; the bound is a generous "does not
//! hang" net, not a speed claim.

use std::time::{Duration, Instant};

use super::fakes::*;
use crate::{redact, scan, scan_value};

const MB: usize = 1 << 20;

/// Runs `f`, failing if it takes more than a minute.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < Duration::from_secs(60), "{what} took {took:?}");
    out
}

/// `unit` repeated to about `size` bytes.
fn repeat(unit: &str, size: usize) -> String {
    unit.repeat(size / unit.len())
}

#[test]
fn ten_megabytes_of_base64() {
    let text = repeat(
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==",
        10 * MB,
    );
    assert!(bounded("10 MB of base64", || scan(&text)).is_empty());
    let value = serde_json::json!({"data": text});
    assert!(bounded("10 MB of base64 in JSON", || scan_value(&value)).is_empty());
}

#[test]
fn many_starts_of_keys_that_never_end() {
    for (what, unit) in [
        ("BEGIN lines", "-----BEGIN RSA PRIVATE KEY-----!"),
        ("names with no value", "password=\"\" "),
        ("names with short values", "token=a1 "),
        ("bearer without tokens", "Bearer !"),
        ("JWT starts", "eyJhbGciOiJIUzI1NiJ9.eyJ!"),
        ("URL starts", "https://user"),
        ("prefixes", "ghp_AKIAsk-ant-xoxb-"),
    ] {
        let text = repeat(unit, 2 * MB);
        bounded(what, || scan(&text));
    }
}

#[test]
fn many_secrets_are_all_redacted() {
    let text = repeat(
        &format!(
            "{AWS_ACCESS_KEY} {GITHUB_TOKEN} password={} ",
            shaped("", 20)
        ),
        2 * MB,
    );
    let redacted = bounded("2 MB of secrets", || redact(&text));
    assert!(!redacted.contains("AKIA") && !redacted.contains("ghp_"));
    assert!(scan(&redacted).is_empty());
}

#[test]
fn a_long_run_after_a_name() {
    let text = format!("secret={}", "a1".repeat(5 * MB / 2));
    assert_eq!(
        bounded("a 5 MB value", || scan(&text)).len(),
        0,
        "too regular"
    );
    let text = format!("secret={}", shaped("", 5 * MB));
    assert_eq!(bounded("a 5 MB random value", || scan(&text)).len(), 1);
    let text = format!("-----BEGIN PRIVATE KEY-----{}", "A".repeat(5 * MB));
    assert_eq!(bounded("a 5 MB key body", || scan(&text)).len(), 1);
}

#[test]
fn many_small_members() {
    let object: serde_json::Map<String, serde_json::Value> = (0..100_000)
        .map(|i| (format!("k{i}"), serde_json::Value::from(format!("v{i}"))))
        .collect();
    let value = serde_json::Value::Object(object);
    assert!(bounded("100,000 members", || scan_value(&value)).is_empty());
    let items = serde_json::Value::Array(
        (0..200_000)
            .map(|i| serde_json::json!(i.to_string()))
            .collect(),
    );
    let value = serde_json::json!({"tokens": items});
    assert!(
        bounded("200,000 strings beside a key-like name", || scan_value(
            &value
        ))
        .is_empty()
    );
}
