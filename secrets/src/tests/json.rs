//! The JSON walk: pointers, key context, keys that hold secrets, and
//! redaction that keeps the shape.

use serde_json::{Value, json};

use super::fakes::*;
use crate::{redact_object, redact_value, scan_object, scan_value};

fn found(value: &Value) -> Vec<(String, &'static str)> {
    scan_value(value)
        .into_iter()
        .map(|f| (f.pointer, f.rule))
        .collect()
}

#[test]
fn findings_name_their_json_pointer_in_document_order() {
    let value = json!({
        "a": {"b/c": [1, "x", format!("key {AWS_ACCESS_KEY}")]},
        "m~n": GITHUB_TOKEN,
        "z": JWT,
    });
    assert_eq!(
        found(&value),
        [
            ("/a/b~1c/2".to_owned(), "aws-access-key"),
            ("/m~0n".to_owned(), "github-token"),
            ("/z".to_owned(), "jwt"),
        ]
    );
    assert_eq!(
        found(&json!(GITHUB_TOKEN)),
        [(String::new(), "github-token")]
    );
}

#[test]
fn a_key_like_name_gives_its_value_context_and_its_array_items() {
    let secret = "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB";
    let value = json!({
        "password": secret,
        "notes": secret,
        "tokens": [secret, {"deeper": secret}],
        "nextPageToken": secret,
        "aws_secret_access_key": AWS_SECRET_KEY,
        "headers": {"Authorization": "Bearer abc12345"},
    });
    // Sorted: the members' order is serde_json's, sorted or (with its
    // `preserve_order` feature, which a dependency of the host turns on in
    // a workspace build) as written here.
    let mut found = found(&value);
    found.sort();
    assert_eq!(
        found,
        [
            ("/aws_secret_access_key".to_owned(), "aws-secret-key"),
            ("/headers/Authorization".to_owned(), "bearer-token"),
            ("/password".to_owned(), "generic-high-entropy"),
            ("/tokens/0".to_owned(), "generic-high-entropy"),
        ]
    );
}

#[test]
fn redaction_keeps_the_shape_and_the_rest() {
    let mut value = json!({
        "n": 1,
        "list": [true, null, format!("id={AWS_ACCESS_KEY}!")],
        "password": "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB",
        "key": RSA_KEY,
    });
    let findings = redact_value(&mut value);
    assert_eq!(findings.len(), 3);
    assert_eq!(
        value,
        json!({
            "n": 1,
            "list": [true, null, "id=[REDACTED:aws-access-key]!"],
            "password": "[REDACTED:generic-high-entropy]",
            "key": "[REDACTED:private-key]",
        })
    );
    assert!(scan_value(&value).is_empty());
    let again = value.clone();
    assert!(redact_value(&mut value).is_empty());
    assert_eq!(value, again);
}

#[test]
fn a_key_that_holds_a_secret_is_renamed_and_never_shown() {
    let mut value = json!({
        GITHUB_TOKEN: {"inner": AWS_ACCESS_KEY},
        "[REDACTED:github-token]": "taken",
    });
    let scanned = scan_value(&value);
    let redacted = redact_value(&mut value);
    assert_eq!(scanned.len(), 2);
    assert_eq!(scanned[0].pointer, "/[REDACTED:github-token]");
    for finding in &redacted {
        assert!(!finding.pointer.contains("ghp_"), "{finding}");
    }
    assert!(redacted[0].in_key);
    // The redacted name was taken, so the member is renamed with `#2`.
    assert_eq!(redacted[0].pointer, "/[REDACTED:github-token]#2");
    assert_eq!(redacted[1].pointer, "/[REDACTED:github-token]#2/inner");
    assert_eq!(value["[REDACTED:github-token]"], "taken");
    assert_eq!(
        value["[REDACTED:github-token]#2"],
        json!({"inner": "[REDACTED:aws-access-key]"})
    );
    assert_eq!(
        redacted[0].to_string(),
        "`github-token` at /[REDACTED:github-token]#2 (in the key)"
    );
}

#[test]
fn objects_work_as_values_do() {
    let value = json!({"a": [GITHUB_TOKEN], "api_key": "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB"});
    let Value::Object(mut object) = value.clone() else {
        unreachable!()
    };
    assert_eq!(scan_object(&object), scan_value(&value));
    let mut whole = value;
    assert_eq!(redact_object(&mut object), redact_value(&mut whole));
    assert_eq!(Value::Object(object), whole);
}

#[test]
fn a_deep_value_does_not_overflow_the_stack() {
    let mut value = json!(GITHUB_TOKEN);
    for i in 0..100_000 {
        value = if i % 2 == 0 {
            Value::Array(vec![value])
        } else {
            Value::Object([("k".to_owned(), value)].into_iter().collect())
        };
    }
    assert_eq!(scan_value(&value).len(), 1);
    assert_eq!(redact_value(&mut value).len(), 1);
    // Dropping it recursively would overflow: take it apart by hand.
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}
