use super::{join, lines, log};
use crate::{GENESIS, Problem, Verify, What, hash, verify};

fn problems(log: &[u8]) -> Vec<Problem> {
    verify(log).unwrap().problems
}

fn at(line: u64, what: What) -> Problem {
    Problem {
        line: Some(line),
        what,
    }
}

#[test]
fn an_untouched_log_verifies_and_names_its_last_hash() {
    let log = log(5);
    let report = verify(&log[..]).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.lines, 5);
    assert_eq!(report.last_hash, hash(&lines(&log)[4]));
    let text = report.to_string();
    assert!(text.contains("5 lines, chain intact"), "{text}");
    assert!(text.contains(&format!("last hash {}", report.last_hash)));
}

#[test]
fn an_empty_log_verifies() {
    let report = verify(&b""[..]).unwrap();
    assert!(report.is_intact());
    assert_eq!((report.lines, report.last_hash.as_str()), (0, GENESIS));
}

#[test]
fn an_edited_line_is_named() {
    let mut lines = lines(&log(5));
    lines[2] = String::from_utf8(lines[2].clone())
        .unwrap()
        .replace("record 2", "record X")
        .into_bytes();
    assert_eq!(problems(&join(&lines)), [at(3, What::Edited)]);
}

#[test]
fn a_removed_line_is_named_at_the_gap() {
    let mut lines = lines(&log(5));
    lines.remove(1);
    let expected = What::Missing {
        expected: 1,
        seq: 2,
    };
    assert_eq!(problems(&join(&lines)), [at(2, expected)]);
    // Removing the first line is found too.
    let mut lines = super::lines(&log(3));
    lines.remove(0);
    let expected = What::Missing {
        expected: 0,
        seq: 1,
    };
    assert_eq!(problems(&join(&lines)), [at(1, expected)]);
}

#[test]
fn swapped_lines_are_both_named() {
    let mut lines = lines(&log(5));
    lines.swap(1, 2);
    let found = problems(&join(&lines));
    let first = What::OutOfOrder {
        seq: 2,
        after: Some(0),
    };
    let second = What::OutOfOrder {
        seq: 1,
        after: Some(2),
    };
    assert_eq!(found, [at(2, first), at(3, second)]);
}

#[test]
fn a_line_that_is_not_json_and_a_truncated_last_line_are_named() {
    let mut lines = lines(&log(4));
    lines[1] = b"not json".to_vec();
    let found = problems(&join(&lines));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(matches!(found[0].what, What::NotARecord(_)) && found[0].line == Some(2));

    let mut log = log(3);
    log.truncate(log.len() - 10);
    assert_eq!(problems(&log), [at(3, What::Truncated)]);
}

#[test]
fn an_edited_first_prev_is_named() {
    let mut lines = lines(&log(2));
    let zeros = "0".repeat(64);
    lines[0] = String::from_utf8(lines[0].clone())
        .unwrap()
        .replace(&zeros, &"1".repeat(64))
        .into_bytes();
    let found = problems(&join(&lines));
    assert_eq!(found, [at(1, What::NotFirst)]);
}

#[test]
fn a_cut_tail_is_found_only_against_a_kept_hash() {
    let log = log(5);
    let kept = verify(&log[..]).unwrap().last_hash;
    let mut lines = lines(&log);
    lines.pop();
    let cut = join(&lines);
    assert!(verify(&cut[..]).unwrap().is_intact());
    let anchored = Verify {
        anchor: Some(kept.clone()),
    };
    let report = anchored.run(&cut[..]).unwrap();
    assert_eq!(
        report.problems,
        [Problem {
            line: None,
            what: What::AnchorMissing(kept)
        }]
    );
    // An anchor still in the log, with lines after it, is fine.
    assert!(anchored.run(&log[..]).unwrap().is_intact());
}

#[test]
fn a_log_longer_than_the_window_verifies_and_a_line_moved_past_it_is_found() {
    let count = crate::WINDOW as u64 + 50;
    let log = log(count);
    let report = verify(&log[..]).unwrap();
    assert!(report.is_intact());
    assert_eq!(report.lines, count);
    let mut lines = lines(&log);
    let last = lines.len() - 1;
    lines.swap(1, last);
    let report = verify(&join(&lines)[..]).unwrap();
    // Too far to be seen as a swap: missing where it was, out of place
    // where it went; the lines between are in order.
    assert_eq!(report.lines_named(), [2, 3, count], "{report}");
}

#[test]
fn a_file_of_garbage_is_reported_within_bounds() {
    let garbage = "not a log\n".repeat(crate::MAX_PROBLEMS + 10);
    let report = verify(garbage.as_bytes()).unwrap();
    assert_eq!(report.problems.len(), crate::MAX_PROBLEMS);
    assert_eq!(report.omitted, 10);
    assert!(report.to_string().contains("… and 10 more problems"));
    assert!(!report.is_intact());
}
