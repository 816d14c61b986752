use std::collections::BTreeMap;

use super::entry::Entry;
use super::pin::Pin;
use super::pin::tests::tool;
use super::*;

fn entry(source: Option<Source>) -> Entry {
    Entry {
        wasm: "sha256:aa".to_owned(),
        source,
        definitions: BTreeMap::from([("add".to_owned(), Pin::of(&tool("Add")))]),
    }
}

fn pulled() -> Source {
    Source {
        reference: "oci://127.0.0.1:5000/moat/math:1.0".to_owned(),
        digest: "sha256:bb".to_owned(),
        key: Some("release".to_owned()),
        fingerprint: Some("sha256:cc".to_owned()),
    }
}

#[test]
fn a_written_lock_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let lock = Lock(BTreeMap::from([
        ("math.v2".to_owned(), entry(Some(pulled()))),
        ("local".to_owned(), entry(None)),
    ]));
    lock.write(&path).unwrap();
    assert_eq!(Lock::read(&path).unwrap(), lock);
    assert_eq!(lock.size(), (2, 2));
    assert_eq!(lock.source("math.v2"), Some(&pulled()));
    assert_eq!(lock.source("local"), None);
    assert_eq!(lock.wasm("local"), Some("sha256:aa"));
    let names: Vec<_> = lock.pulled().map(|(name, _)| name).collect();
    assert_eq!(names, ["math.v2"]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[\"math.v2\".source]"), "{text}");
    assert!(text.contains("[local.definitions.add]"), "{text}");
}

#[test]
fn a_foreign_file_is_refused_with_its_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, "[math]\nwasm = 3\n").unwrap();
    let error = Lock::read(&path).unwrap_err().to_string();
    assert!(error.contains("not a moat lock file"), "{error}");
    assert!(error.contains("wasm"), "{error}");
}

#[test]
fn a_lock_of_the_first_format_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let old = BTreeMap::from([("math", BTreeMap::from([("add", Pin::of(&tool("Add")))]))]);
    std::fs::write(&path, toml::to_string(&old).unwrap()).unwrap();
    let error = Lock::read(&path).unwrap_err().to_string();
    assert!(error.contains("written by an older moat"), "{error}");
    assert!(error.contains("run `moat lock` again"), "{error}");
}

#[test]
fn a_missing_lock_is_empty_only_when_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    assert_eq!(Lock::read_or_default(&path).unwrap(), Lock::default());
    assert!(Lock::read(&path).is_err());
    assert!(Locked::read(&path).is_err());
}

#[test]
fn sources_lost_names_a_pulled_plugin_recorded_as_local_now() {
    let before = Lock(BTreeMap::from([("math".to_owned(), entry(Some(pulled())))]));
    let after = Lock(BTreeMap::from([("math".to_owned(), entry(None))]));
    let lost: Vec<_> = before.sources_lost(&after);
    assert_eq!(lost, [("math", &pulled())]);
    assert!(before.sources_lost(&before).is_empty());
}
