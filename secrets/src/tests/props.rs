//! Properties, over texts and values built from secrets, key-like names,
//! separators, markers and noise: redaction is idempotent, a redacted text
//! or value holds no finding, what is not a secret is kept, and nothing
//! panics on any input.

use proptest::prelude::*;
use serde_json::Value;

use super::fakes::*;
use crate::{redact, redact_value, scan, scan_value};

fn fragment() -> impl Strategy<Value = String> {
    let fixed: Vec<String> = vec![
        AWS_ACCESS_KEY.into(),
        AWS_SECRET_KEY.into(),
        GITHUB_TOKEN.into(),
        JWT.into(),
        RSA_KEY.into(),
        OPENSSH_KEY.into(),
        shaped("sk-ant-", 30),
        shaped("sk-", 40),
        shaped("xoxb-", 20),
        shaped("AIza", 35),
        shaped("", 24),
        "-----BEGIN PRIVATE KEY-----".into(),
        "-----END PRIVATE KEY-----".into(),
        "password".into(),
        "api_key".into(),
        "aws_secret_access_key".into(),
        "Authorization".into(),
        "AccountKey".into(),
        "next_page_token".into(),
        "Bearer ".into(),
        "=".into(),
        ": ".into(),
        "\": \"".into(),
        "\\\"".into(),
        "\n".into(),
        " ".into(),
        "[REDACTED:jwt]".into(),
        "[REDACTED:".into(),
        "://u:".into(),
        "@".into(),
        "eyJ".into(),
        ".".into(),
        "\u{200B}".into(),
        "\u{E0041}".into(),
        "é".into(),
    ];
    prop_oneof![
        3 => proptest::sample::select(fixed),
        1 => "[A-Za-z0-9+/=_.-]{0,30}",
        1 => any::<String>(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn redacted_text_holds_no_finding_and_redacting_again_changes_nothing(text in text()) {
        let once = redact(&text).into_owned();
        prop_assert!(scan(&once).is_empty(), "{:?} -> {:?}: {:?}", text, once, scan(&once));
        prop_assert_eq!(redact(&once).into_owned(), once);
    }

    #[test]
    fn what_is_not_a_secret_is_kept(text in text()) {
        let findings = scan(&text);
        let redacted = redact(&text);
        // Each finding replaced by its marker, the rest as it was...
        let mut once = String::new();
        let mut at = 0;
        for finding in &findings {
            once.push_str(&text[at..finding.span.start]);
            once.push_str(&format!("[REDACTED:{}]", finding.rule));
            at = finding.span.end;
        }
        once.push_str(&text[at..]);
        // ... is the redaction, unless a marker's `]` made a word boundary
        // before what then reads as a secret (`AIza...0ghp_...`), which a
        // second round redacts too.
        if scan(&once).is_empty() {
            prop_assert_eq!(redacted.as_ref(), once.as_str());
        } else {
            prop_assert!(scan(&redacted).is_empty());
        }
    }

    #[test]
    fn redacted_values_hold_no_finding_and_redacting_again_changes_nothing(value in value()) {
        let mut once = value.clone();
        let found = redact_value(&mut once);
        prop_assert_eq!(found.is_empty(), scan_value(&value).is_empty());
        prop_assert!(scan_value(&once).is_empty(), "{} -> {}", value, once);
        let mut twice = once.clone();
        prop_assert!(redact_value(&mut twice).is_empty());
        prop_assert_eq!(twice, once);
    }

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let _ = scan(&text);
        let _ = redact(&text);
    }
}
