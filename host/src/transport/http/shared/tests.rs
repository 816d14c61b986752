use super::events::{Event, MAX_EVENT_BYTES, Message, parse};
use super::plausible;

fn message(from: &str, event: Event) -> Vec<u8> {
    serde_json::to_vec(&Message {
        v: 1,
        from: from.into(),
        event,
    })
    .unwrap()
}

#[test]
fn events_from_another_replica_are_acted_on() {
    let uri = Event::Resource {
        uri: "demo://x".into(),
    };
    assert_eq!(parse(&message("b", uri.clone()), "a"), Some(uri));
    assert_eq!(parse(&message("b", Event::Lists), "a"), Some(Event::Lists));
}

#[test]
fn own_events_are_ignored() {
    assert_eq!(parse(&message("a", Event::Lists), "a"), None);
}

#[test]
fn unknown_kinds_versions_and_junk_are_ignored() {
    assert_eq!(parse(br#"{"v":1,"from":"b","kind":"explode"}"#, "a"), None);
    assert_eq!(parse(br#"{"v":2,"from":"b","kind":"lists"}"#, "a"), None);
    assert_eq!(parse(br#"{"v":1,"from":"b","kind":"resource"}"#, "a"), None);
    assert_eq!(parse(b"not json", "a"), None);
    let mut big = message("b", Event::Lists);
    big.resize(MAX_EVENT_BYTES + 1, b' ');
    assert_eq!(parse(&big, "a"), None);
}

#[test]
fn only_plausible_session_ids_reach_a_key() {
    assert!(plausible("0b6f5c1e-5a0d-4d2b-9a57-0c5f6b1e2a3d"));
    assert!(!plausible(""));
    assert!(!plausible("a b"));
    assert!(!plausible("x:*"));
    assert!(!plausible(&"a".repeat(65)));
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let _ = parse(&bytes, "a");
    }
}
