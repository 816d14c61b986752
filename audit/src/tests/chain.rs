use std::io::Cursor;
use std::time::{Duration, SystemTime};

use super::{Fields, lines, log};
use crate::{Chain, GENESIS, ResumeError, Tail, hash, last_line};

#[test]
fn a_line_has_its_keys_in_order_and_chains_the_previous_line() {
    let log = log(2);
    let lines = lines(&log);
    let first = String::from_utf8(lines[0].clone()).unwrap();
    assert_eq!(
        first,
        format!(
            r#"{{"seq":0,"time":"2025-12-01T18:00:00.000Z","kind":"request","n":0,"text":"record 0","prev":"{GENESIS}"}}"#
        )
    );
    let second = String::from_utf8(lines[1].clone()).unwrap();
    assert!(second.starts_with(r#"{"seq":1,"time":"2025-12-01T18:00:00.001Z""#));
    assert!(second.ends_with(&format!(r#""prev":"{}"}}"#, hash(&lines[0]))));
}

#[test]
fn fields_that_are_not_an_object_append_nothing() {
    let mut chain = Chain::new();
    let mut out = b"kept\n".to_vec();
    assert!(chain.append(&mut out, SystemTime::now(), "x", &7).is_err());
    assert_eq!(out, b"kept\n");
    assert_eq!(chain, Chain::new());
}

#[test]
fn the_last_line_is_read_from_the_end() {
    let log = log(3);
    let expected = lines(&log).pop().unwrap();
    assert_eq!(
        last_line(&mut Cursor::new(&log)).unwrap(),
        Tail::Line(expected)
    );
    assert_eq!(last_line(&mut Cursor::new(b"")).unwrap(), Tail::Empty);
    assert_eq!(
        last_line(&mut Cursor::new(b"a\nbc")).unwrap(),
        Tail::Unterminated(b"bc".to_vec())
    );
    assert_eq!(
        last_line(&mut Cursor::new(b"only\n")).unwrap(),
        Tail::Line(b"only".to_vec())
    );
}

#[test]
fn a_last_line_longer_than_a_chunk_is_read_whole() {
    let long = "x".repeat(200_000);
    let mut file = b"first\n".to_vec();
    file.extend_from_slice(long.as_bytes());
    file.push(b'\n');
    assert_eq!(
        last_line(&mut Cursor::new(&file)).unwrap(),
        Tail::Line(long.into_bytes())
    );
}

#[test]
fn a_log_resumes_after_its_last_line() {
    let mut log = log(3);
    let tail = last_line(&mut Cursor::new(&log)).unwrap();
    let mut chain = Chain::resume(tail).unwrap();
    assert_eq!(chain.seq(), 3);
    let fields = Fields {
        n: 3,
        text: "after a restart".into(),
    };
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_700_000);
    chain.append(&mut log, time, "start", &fields).unwrap();
    let report = crate::verify(&log[..]).unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.lines, 4);
    assert_eq!(report.last_hash, chain.last_hash());
}

#[test]
fn a_broken_last_line_is_not_resumed() {
    assert!(matches!(
        Chain::resume(Tail::Unterminated(b"{\"seq\":".to_vec())),
        Err(ResumeError::Unterminated)
    ));
    assert!(matches!(
        Chain::resume(Tail::Line(b"garbage".to_vec())),
        Err(ResumeError::NotARecord(_))
    ));
    assert_eq!(Chain::resume(Tail::Empty).unwrap(), Chain::new());
}
