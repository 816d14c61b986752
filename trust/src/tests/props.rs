//! Property tests: any single changed byte of the payload or the signature
//! makes verification fail.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::LazyLock;

use proptest::prelude::*;

use super::{DIGEST, REPO, good_payload, policy_in, sign, signing_key};
use crate::TrustPolicy;

/// A policy trusting key 1 for `REPO` (its key file is read once, at load).
static POLICY: LazyLock<TrustPolicy> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    policy_in(dir.path(), &[("release", 1, &[REPO])])
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_flipped_payload_byte_fails(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let policy = &*POLICY;
        let body = good_payload();
        let signature = sign(&signing_key(1), &body);
        prop_assert!(policy.verify(REPO, DIGEST, &body, &signature).is_ok());
        let mut flipped = body.clone();
        flipped[index.index(body.len())] ^= mask;
        prop_assert!(policy.verify(REPO, DIGEST, &flipped, &signature).is_err());
    }

    #[test]
    fn a_flipped_signature_byte_fails(index in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let policy = &*POLICY;
        let body = good_payload();
        let mut der = STANDARD.decode(sign(&signing_key(1), &body)).unwrap();
        let at = index.index(der.len());
        der[at] ^= mask;
        prop_assert!(policy.verify(REPO, DIGEST, &body, &STANDARD.encode(&der)).is_err());
    }

    #[test]
    fn a_flipped_annotation_character_fails(index in any::<prop::sample::Index>(), replacement in any::<char>()) {
        let policy = &*POLICY;
        let body = good_payload();
        let signature = sign(&signing_key(1), &body);
        let at = index.index(signature.len());
        let original = signature.as_bytes()[at] as char;
        prop_assume!(replacement != original);
        let mut changed: String = signature[..at].to_owned();
        changed.push(replacement);
        changed.push_str(&signature[at + 1..]);
        prop_assert!(policy.verify(REPO, DIGEST, &body, &changed).is_err());
    }

    #[test]
    fn every_key_verifies_only_its_own_signatures(signer in 1u8..=100, trusted in 1u8..=100) {
        let dir = tempfile::tempdir().unwrap();
        let policy = policy_in(dir.path(), &[("only", trusted, &[REPO])]);
        let body = good_payload();
        let verified = policy.verify(REPO, DIGEST, &body, &sign(&signing_key(signer), &body)).is_ok();
        prop_assert_eq!(verified, signer == trusted);
    }
}

/// Names built from the characters that matter to matching: separators,
/// dots, case, and the characters of the pattern itself.
fn name_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[aAb./:*%-]{0,12}").unwrap()
}

proptest! {
    #[test]
    fn a_prefix_pattern_matches_only_clean_names_below_it(tail in name_text()) {
        let pattern = crate::pattern::Pattern::parse("reg.io/a/b/*").unwrap();
        let repository = format!("reg.io/a/b{tail}");
        let segments: Vec<&str> = repository.split('/').skip(1).collect();
        let clean = segments.iter().all(|s| {
            !s.is_empty() && *s != "." && *s != ".." && !s.contains(['*', ':', '%'])
                && !s.starts_with(['.', '-']) && !s.ends_with(['.', '-'])
        });
        let below = segments.len() > 2 && segments[..2] == ["a", "b"];
        prop_assert_eq!(pattern.matches(&repository), clean && below, "{}", repository);
    }
}
