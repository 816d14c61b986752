//! `TrustPolicy::verify`: what verifies, and each way a signature is refused.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;

use super::{DIGEST, REPO, good_payload, payload, policy_in, sign, signing_key};
use crate::{MAX_PAYLOAD, SignatureError};

const TYPE: &str = "cosign container image signature";

#[test]
fn a_good_signature_verifies_and_returns_the_key_that_made_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(
        dir.path(),
        &[
            ("other", 2, &["127.0.0.1:5000/moat/*"]),
            ("release", 1, &["127.0.0.1:5000/moat/*"]),
        ],
    );
    let body = good_payload();
    let key = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap();
    assert_eq!(key.name(), "release");
    assert_eq!(key.repositories(), ["127.0.0.1:5000/moat/*"]);
    assert!(key.fingerprint().starts_with("sha256:"));
    assert_eq!(key.fingerprint().len(), 7 + 64);
}

#[test]
fn the_fingerprint_is_the_sha256_of_the_spki_der() {
    use p256::pkcs8::EncodePublicKey;
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let der = signing_key(1).verifying_key().to_public_key_der().unwrap();
    let expected: String = Sha256::digest(der.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = policy.keys_for(REPO).next().unwrap();
    assert_eq!(key.fingerprint(), format!("sha256:{expected}"));
}

#[test]
fn the_fixed_size_r_s_form_verifies_too() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = good_payload();
    let signature: Signature = signing_key(1).sign(&body);
    let fixed = STANDARD.encode(signature.to_bytes());
    assert_eq!(
        policy.verify(REPO, DIGEST, &body, &fixed).unwrap().name(),
        "release"
    );
}

#[test]
fn a_signature_by_an_untrusted_key_is_refused_naming_the_trusted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(
        dir.path(),
        &[
            ("release", 1, &[REPO]),
            ("backup", 2, &["127.0.0.1:5000/*"]),
        ],
    );
    let body = good_payload();
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(3), &body))
        .unwrap_err();
    assert!(
        matches!(&err, SignatureError::NotVerified { keys, .. } if keys == &["release", "backup"]),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("release, backup") && message.contains(REPO),
        "{message}"
    );
}

#[test]
fn a_key_trusted_for_another_repository_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &["127.0.0.1:5000/other/*"])]);
    let body = good_payload();
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::NoKeyFor { ref repository } if repository == REPO),
        "{err:?}"
    );
    assert!(err.to_string().contains(REPO));
}

#[test]
fn a_signature_over_another_manifest_is_refused_naming_both_digests() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let signed = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    let body = payload(REPO, signed, TYPE);
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::DigestMismatch { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(signed) && message.contains(DIGEST),
        "{message}"
    );
}

#[test]
fn a_signature_for_another_repository_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &["127.0.0.1:5000/moat/*"])]);
    let other = "127.0.0.1:5000/moat/evil";
    let body = payload(other, DIGEST, TYPE);
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::ReferenceMismatch { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(other) && message.contains(REPO),
        "{message}"
    );
}

#[test]
fn the_reference_compares_the_registry_without_case_and_the_path_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &["localhost:5000/moat/*"])]);
    let repo = "localhost:5000/moat/math";
    let body = payload("LOCALHOST:5000/moat/math", DIGEST, TYPE);
    assert!(
        policy
            .verify(repo, DIGEST, &body, &sign(&signing_key(1), &body))
            .is_ok()
    );
    for signed in [
        "localhost:5000/moat/Math",
        "localhost:5000/moat/math:1.0",
        "localhost:5000/moat/math/",
    ] {
        let body = payload(signed, DIGEST, TYPE);
        let err = policy
            .verify(repo, DIGEST, &body, &sign(&signing_key(1), &body))
            .unwrap_err();
        assert!(
            matches!(err, SignatureError::ReferenceMismatch { .. }),
            "{signed}: {err:?}"
        );
    }
}

#[test]
fn a_payload_of_another_type_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = payload(REPO, DIGEST, "atomic container signature");
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap_err();
    assert!(matches!(err, SignatureError::WrongType { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("atomic container signature") && message.contains(TYPE),
        "{message}"
    );
}

#[test]
fn a_signed_payload_that_is_not_simple_signing_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let twice = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{REPO}"}},"image":{{"docker-manifest-digest":"{DIGEST}","docker-manifest-digest":"sha256:00"}},"type":"{TYPE}"}}}}"#
    );
    for body in [
        b"not json".to_vec(),
        br#"{"critical":{}}"#.to_vec(),
        twice.into_bytes(),
    ] {
        let err = policy
            .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
            .unwrap_err();
        assert!(matches!(err, SignatureError::BadPayload { .. }), "{err:?}");
    }
}

#[test]
fn optional_may_be_anything() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{REPO}"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"{TYPE}"}},"optional":{{"creator":"x","n":[1,2]}}}}"#
    );
    let body = body.into_bytes();
    assert!(
        policy
            .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
            .is_ok()
    );
}

#[test]
fn an_unverified_payload_is_never_read() {
    // A payload that would fail every payload check, signed by nobody trusted:
    // the error is about the signature, so nothing in it was acted on.
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = b"not json at all".to_vec();
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(2), &body))
        .unwrap_err();
    assert!(matches!(err, SignatureError::NotVerified { .. }), "{err:?}");
}

#[test]
fn malformed_signatures_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = good_payload();
    let err = policy
        .verify(REPO, DIGEST, &body, "not base64!")
        .unwrap_err();
    assert!(matches!(err, SignatureError::BadBase64 { .. }), "{err:?}");
    let err = policy.verify(REPO, DIGEST, &body, "").unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );
    let err = policy
        .verify(REPO, DIGEST, &body, &STANDARD.encode([0x30, 0x02, 0x01]))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );
    let err = policy
        .verify(REPO, DIGEST, &body, &"A".repeat(10_000))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::BadSignature { .. }),
        "{err:?}"
    );
    // URL-safe base64 is not what cosign writes.
    let url_safe = sign(&signing_key(1), &body)
        .replace('+', "-")
        .replace('/', "_");
    if url_safe != sign(&signing_key(1), &body) {
        assert!(policy.verify(REPO, DIGEST, &body, &url_safe).is_err());
    }
}

#[test]
fn a_payload_over_the_limit_is_refused_before_it_is_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(dir.path(), &[("release", 1, &[REPO])]);
    let body = vec![b' '; MAX_PAYLOAD + 1];
    let err = policy
        .verify(REPO, DIGEST, &body, &sign(&signing_key(1), &body))
        .unwrap_err();
    assert!(
        matches!(err, SignatureError::PayloadTooLarge { size, .. } if size == MAX_PAYLOAD + 1),
        "{err:?}"
    );
}

#[test]
fn keys_for_lists_only_the_keys_whose_patterns_match() {
    let dir = tempfile::tempdir().unwrap();
    let policy = policy_in(
        dir.path(),
        &[
            ("a", 1, &["127.0.0.1:5000/moat/*"]),
            ("b", 2, &["ghcr.io/acme/math"]),
            ("c", 3, &[REPO]),
        ],
    );
    let names: Vec<&str> = policy.keys_for(REPO).map(|k| k.name()).collect();
    assert_eq!(names, ["a", "c"]);
    let names: Vec<&str> = policy
        .keys_for("GHCR.IO/acme/math")
        .map(|k| k.name())
        .collect();
    assert_eq!(names, ["b"]);
    assert_eq!(policy.keys_for("ghcr.io/acme/Math").count(), 0);
}
