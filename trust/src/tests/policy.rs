//! Every `TrustError`, each from a real policy file in a temporary directory.

use std::path::Path;

use super::{REPO, public_pem, signing_key};
use crate::{TrustError, TrustPolicy};

const SECP384R1: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEey8uSFCEApIECFRaXBLNkcsDhuMcGaF+
8WLwfWw3QfIC834ickkYA7r5K3KTDq+j2PWm0gDx0+XW826eEd/Cjrofjh6XH3Zz
co/JjtibwryVP0YlShvG4hMeHP4+HZjf
-----END PUBLIC KEY-----
";

const ED25519: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
-----END PUBLIC KEY-----
";

/// Writes `policy` to `dir/trust.toml` and a good key to `dir/good.pub`, and reads it.
fn read(dir: &Path, policy: &str) -> Result<TrustPolicy, TrustError> {
    std::fs::write(dir.join("good.pub"), public_pem(&signing_key(1))).unwrap();
    std::fs::write(dir.join("trust.toml"), policy).unwrap();
    TrustPolicy::read(&dir.join("trust.toml"))
}

/// A policy with one key named `release` using `file` for `repositories`.
fn one_key(file: &str, repositories: &str) -> String {
    format!("[[key]]\nname = \"release\"\npublic_key = \"{file}\"\nrepositories = {repositories}\n")
}

/// The error `policy` gives, and its message.
fn error(policy: &str) -> (TrustError, String) {
    let dir = tempfile::tempdir().unwrap();
    let err = read(dir.path(), policy).expect_err("the policy is refused");
    let message = err.to_string();
    (err, message)
}

#[test]
fn a_good_policy_reads_with_keys_relative_to_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("conf");
    std::fs::create_dir(&sub).unwrap();
    let policy = read(&sub, &one_key("good.pub", &format!("[{REPO:?}]"))).unwrap();
    assert_eq!(policy.keys_for(REPO).next().unwrap().name(), "release");
    // parse() resolves against the base it is given.
    let parsed = TrustPolicy::parse(
        &one_key("conf/good.pub", &format!("[{REPO:?}]")),
        dir.path(),
    )
    .unwrap();
    assert_eq!(parsed.keys_for(REPO).count(), 1);
    // An empty policy trusts nothing.
    assert_eq!(
        TrustPolicy::parse("", dir.path())
            .unwrap()
            .keys_for(REPO)
            .count(),
        0
    );
}

#[test]
fn a_missing_or_unreadable_policy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = TrustPolicy::read(&dir.path().join("absent.toml")).unwrap_err();
    assert!(matches!(err, TrustError::Unreadable { .. }), "{err:?}");
    assert!(err.to_string().contains("absent.toml"));
    let err = TrustPolicy::read(dir.path()).unwrap_err();
    assert!(matches!(err, TrustError::Unreadable { .. }), "{err:?}");
}

#[test]
fn a_huge_policy_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.toml");
    std::fs::write(&path, vec![b'#'; crate::MAX_POLICY as usize + 1]).unwrap();
    let err = TrustPolicy::read(&path).unwrap_err();
    assert!(matches!(err, TrustError::TooLarge { .. }), "{err:?}");
}

#[test]
fn bad_toml_is_refused_with_its_line() {
    let (err, message) = error("[[key]]\nname = \"release\"\npublic_key = \n");
    assert!(matches!(err, TrustError::Toml { .. }), "{err:?}");
    assert!(message.contains("line 3"), "{message}");
}

#[test]
fn an_unknown_field_is_refused_naming_it() {
    let (err, message) = error(&format!(
        "{}signer = \"anyone\"\n",
        one_key("good.pub", "[]")
    ));
    assert!(matches!(err, TrustError::Toml { .. }), "{err:?}");
    assert!(
        message.contains("signer") && message.contains("line 5"),
        "{message}"
    );
    let (err, message) = error("[[keys]]\nname = \"x\"\n");
    assert!(
        matches!(err, TrustError::Toml { .. }) && message.contains("keys"),
        "{message}"
    );
}

#[test]
fn a_missing_key_file_is_refused_naming_it() {
    let (err, message) = error(&one_key("keys/absent.pub", &format!("[{REPO:?}]")));
    assert!(matches!(err, TrustError::KeyUnreadable { .. }), "{err:?}");
    assert!(
        message.contains("absent.pub") && message.contains("release"),
        "{message}"
    );
}

#[test]
fn a_key_file_that_is_not_a_pem_public_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repos = format!("[{REPO:?}]");
    for (content, hint) in [
        ("hello\n".to_owned(), "PEM"),
        (
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_owned(),
            "PRIVATE KEY",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_owned(),
            "SubjectPublicKeyInfo",
        ),
    ] {
        std::fs::write(dir.path().join("bad.pub"), &content).unwrap();
        let err = read(dir.path(), &one_key("bad.pub", &repos)).unwrap_err();
        assert!(
            matches!(err, TrustError::NotPublicKey { .. }),
            "{content}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("bad.pub") && message.contains(hint),
            "{message}"
        );
    }
    std::fs::write(dir.path().join("bin.pub"), [0xff, 0xfe, 0x00]).unwrap();
    let err = read(dir.path(), &one_key("bin.pub", &repos)).unwrap_err();
    assert!(matches!(err, TrustError::NotPublicKey { .. }), "{err:?}");
}

#[test]
fn a_key_that_is_not_p256_is_refused_naming_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let repos = format!("[{REPO:?}]");
    for (content, found) in [(SECP384R1, "1.3.132.0.34"), (ED25519, "1.3.101.112")] {
        std::fs::write(dir.path().join("other.pub"), content).unwrap();
        let err = read(dir.path(), &one_key("other.pub", &repos)).unwrap_err();
        assert!(matches!(err, TrustError::NotP256 { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains(found) && message.contains("P-256"),
            "{message}"
        );
    }
}

#[test]
fn a_huge_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.pub"),
        vec![b'A'; crate::MAX_KEY_FILE as usize + 1],
    )
    .unwrap();
    let err = read(dir.path(), &one_key("big.pub", &format!("[{REPO:?}]"))).unwrap_err();
    assert!(matches!(err, TrustError::TooLarge { .. }), "{err:?}");
}

#[test]
fn a_duplicate_key_name_is_refused() {
    let repos = format!("[{REPO:?}]");
    let (err, message) = error(&format!(
        "{}\n{}",
        one_key("good.pub", &repos),
        one_key("good.pub", &repos)
    ));
    assert!(matches!(err, TrustError::DuplicateName { .. }), "{err:?}");
    assert!(message.contains("release"), "{message}");
}

#[test]
fn a_key_name_that_could_forge_log_lines_is_refused() {
    for name in ["", "re lease", "a\\nb", "x\\u001b[31m"] {
        let policy = format!(
            "[[key]]\nname = \"{name}\"\npublic_key = \"good.pub\"\nrepositories = [{REPO:?}]\n"
        );
        let (err, _) = error(&policy);
        assert!(
            matches!(err, TrustError::BadName { .. }),
            "{name:?}: {err:?}"
        );
    }
}

#[test]
fn bad_repository_patterns_are_refused_naming_them() {
    for (pattern, reason) in [
        ("", "empty"),
        ("acme/math", "registry"),
        ("ghcr.io/acme/*/x", "'*'"),
        ("ghcr.io/ac*", "'*'"),
        ("ghcr.io/acme/../x", "segment"),
    ] {
        let (err, message) = error(&one_key("good.pub", &format!("[{REPO:?}, {pattern:?}]")));
        assert!(
            matches!(err, TrustError::BadPattern { .. }),
            "{pattern:?}: {err:?}"
        );
        assert!(
            message.contains(&format!("{pattern:?}")) && message.contains(reason),
            "{message}"
        );
    }
}

#[test]
fn a_key_with_no_repositories_is_refused() {
    let (err, message) = error(&one_key("good.pub", "[]"));
    assert!(matches!(err, TrustError::NoRepositories { .. }), "{err:?}");
    assert!(message.contains("release"), "{message}");
}
