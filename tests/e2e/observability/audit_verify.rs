//! `moat audit verify` on copies of a real audit log, each tampered with
//! one way: it names the line.

use std::path::{Path, PathBuf};

use crate::observability::audit::{a_real_log, records, verify};

/// Writes `lines` (each without its newline) to a copy named `name` beside `log`.
fn tampered(log: &Path, name: &str, edit: impl FnOnce(&mut Vec<String>)) -> PathBuf {
    let mut lines: Vec<String> = std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(Into::into)
        .collect();
    edit(&mut lines);
    let copy = log.with_file_name(name);
    std::fs::write(
        &copy,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
    copy
}

#[tokio::test]
async fn verify_names_each_edited_removed_swapped_and_truncated_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = a_real_log(&dir).await;
    let count = records(&log).len();
    assert!(count >= 8, "{count}");

    // Line 5 (seq 4) rewritten: a failed call made to look fine.
    let edited = tampered(&log, "edited", |lines| {
        assert!(lines[4].contains(r#""kind":"request""#), "{}", lines[4]);
        lines[4] = lines[4].replace(r#""outcome":"#, r#""outcome":"ok","was":"#);
    });
    let (code, out) = verify(&edited, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("line 5: edited"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("line ")).count(),
        1,
        "{out}"
    );

    let removed = tampered(&log, "removed", |lines| {
        lines.remove(3);
    });
    let (code, out) = verify(&removed, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("line 4: a line is missing before this one (seq 3)"),
        "{out}"
    );

    let swapped = tampered(&log, "swapped", |lines| lines.swap(5, 6));
    let (code, out) = verify(&swapped, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(
            "line 6: out of order: seq 6 after seq 4\nline 7: out of order: seq 5 after seq 6\n"
        ),
        "{out}"
    );

    let mut bytes = std::fs::read(&log).unwrap();
    bytes.truncate(bytes.len() - 20);
    let truncated = log.with_file_name("truncated");
    std::fs::write(&truncated, bytes).unwrap();
    let (code, out) = verify(&truncated, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("line {count}: truncated")),
        "{out}"
    );

    let garbled = tampered(&log, "garbled", |lines| lines[2] = "{not json".into());
    let (code, out) = verify(&garbled, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("line 3: not an audit record"), "{out}");

    // Cutting whole lines off the end is found only against the last hash kept.
    let (_, out) = verify(&log, &[]);
    let kept = out
        .lines()
        .last()
        .unwrap()
        .strip_prefix("last hash ")
        .unwrap()
        .to_owned();
    let cut = tampered(&log, "cut", |lines| {
        lines.pop();
    });
    assert_eq!(verify(&cut, &[]).0, 0);
    let (code, out) = verify(&cut, &["--expect-last", &kept]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("no line has the hash {kept}")),
        "{out}"
    );
    assert_eq!(verify(&log, &["--expect-last", &kept]).0, 0);
}
