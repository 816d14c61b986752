//! Each rule finds what it is for, and ordinary text is left alone.

use super::fakes::*;
use crate::{NAMED, RULES, redact, scan};

/// The rule ids found in `text`.
fn ids(text: &str) -> Vec<&'static str> {
    scan(text).into_iter().map(|f| f.rule).collect()
}

/// `secret` is found in `text` by `rule`, exactly, and redacted.
fn finds(rule: &str, text: &str, secret: &str) {
    let findings = scan(text);
    assert_eq!(findings.len(), 1, "{text}: {findings:?}");
    assert_eq!(findings[0].rule, rule, "{text}");
    assert_eq!(&text[findings[0].span.clone()], secret, "{text}");
    let redacted = redact(text);
    assert!(!redacted.contains(secret), "{redacted}");
    assert_eq!(
        redacted,
        text.replace(secret, &format!("[REDACTED:{rule}]")),
        "the rest is kept"
    );
}

#[test]
fn every_rule_has_a_stable_distinct_id_and_a_description() {
    let mut all: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    all.extend(NAMED.iter().map(|r| r.id));
    for id in &all {
        assert!(
            id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{id}"
        );
    }
    for wanted in [
        "private-key",
        "aws-access-key",
        "aws-secret-key",
        "github-token",
        "slack-token",
        "gcp-api-key",
        "stripe-key",
        "jwt",
        "bearer-token",
        "generic-high-entropy",
    ] {
        assert!(all.contains(&wanted), "{wanted}");
    }
    assert!(RULES.iter().all(|r| !r.matches.is_empty()));
    assert!(NAMED.iter().all(|r| !r.matches.is_empty()));
}

#[test]
fn private_keys_of_every_flavour() {
    for label in ["RSA ", "", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "] {
        let key = format!(
            "-----BEGIN {label}PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\n-----END {label}PRIVATE KEY-----"
        );
        finds("private-key", &format!("here: {key}\nthanks"), &key);
    }
    finds("private-key", &format!("key={OPENSSH_KEY};"), OPENSSH_KEY);
    let pgp =
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0fake\n-----END PGP PRIVATE KEY BLOCK-----";
    finds("private-key", pgp, pgp);
    // Encrypted PKCS#1, with its headers.
    let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----";
    finds("private-key", encrypted, encrypted);
    // JSON-escaped newlines, as in a JSON text inside a text item.
    let escaped = RSA_KEY.replace('\n', "\\n");
    finds(
        "private-key",
        &format!("{{\"key\": \"{escaped}\"}}"),
        &escaped,
    );
    // No END line: everything up to where the body stops.
    let cut = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQ";
    finds("private-key", &format!("{cut}\" and more"), cut);
}

#[test]
fn a_public_key_or_a_certificate_is_not_a_secret() {
    let public = "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END PUBLIC KEY-----";
    let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUfake\n-----END CERTIFICATE-----";
    assert!(ids(public).is_empty());
    assert!(ids(cert).is_empty());
    assert!(ids("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFake user@host").is_empty());
}

#[test]
fn aws_keys() {
    finds(
        "aws-access-key",
        &format!("id {AWS_ACCESS_KEY} ok"),
        AWS_ACCESS_KEY,
    );
    finds(
        "aws-access-key",
        "ASIAY34FZKBOKMUTVV7A,",
        "ASIAY34FZKBOKMUTVV7A",
    );
    // Inside a longer word, or the wrong alphabet (0, 1, 8, 9), it is not one.
    assert!(ids("XAKIAIOSFODNN7EXAMPLE").is_empty());
    assert!(ids("AKIAIOSFODNN7EXAMPLEX").is_empty());
    assert!(ids("AKIA1111111111111111").is_empty());
    for text in [
        format!("aws_secret_access_key = {AWS_SECRET_KEY}"),
        format!("AWS_SECRET_ACCESS_KEY={AWS_SECRET_KEY}\n"),
        format!("\"aws_secret_access_key\": \"{AWS_SECRET_KEY}\""),
    ] {
        finds("aws-secret-key", &text, AWS_SECRET_KEY);
    }
    // 40 characters of base64 alone are not one (a SHA-1 in base64, a path).
    assert!(ids(&format!("commit {AWS_SECRET_KEY}")).is_empty());
}

#[test]
fn gcp_and_azure_keys() {
    let gcp = shaped("AIza", 35);
    finds("gcp-api-key", &format!("key={gcp}&q=1"), &gcp);
    assert!(ids(&shaped("AIza", 20)).is_empty());
    let azure = format!("{}==", shaped("", 86));
    let connection = format!(
        "DefaultEndpointsProtocol=https;AccountName=fake;AccountKey={azure};EndpointSuffix=core.windows.net"
    );
    finds("azure-storage-key", &connection, &azure);
    finds(
        "azure-storage-key",
        &format!("azure_storage_key: {azure}"),
        &azure,
    );
}

#[test]
fn github_gitlab_slack_stripe_npm_pypi() {
    finds(
        "github-token",
        &format!("token {GITHUB_TOKEN}."),
        GITHUB_TOKEN,
    );
    for prefix in ["gho_", "ghs_", "ghu_", "ghr_"] {
        let token = shaped(prefix, 36);
        finds("github-token", &format!("({token})"), &token);
    }
    let pat = shaped("github_pat_", 82);
    finds("github-token", &pat, &pat);
    assert!(ids(&shaped("ghp_", 20)).is_empty(), "too short");
    let gitlab = shaped("glpat-", 20);
    finds("gitlab-token", &format!("PRIVATE-TOKEN: {gitlab}"), &gitlab);
    for slack in [
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxp-1234567890-abcdefghij",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ] {
        finds("slack-token", &format!("send to {slack} now"), slack);
    }
    for stripe in [
        "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "rk_test_4eC39HqLyjWDarjtT1zdp7dc",
    ] {
        finds("stripe-key", stripe, stripe);
    }
    assert!(
        ids("pk_live_4eC39HqLyjWDarjtT1zdp7dc").is_empty(),
        "publishable"
    );
    let npm = shaped("npm_", 36);
    finds(
        "npm-token",
        &format!("//registry.npmjs.org/:_authToken={npm}"),
        &npm,
    );
    let pypi = shaped("pypi-AgEIcHlwaS5vcmc", 60);
    finds("pypi-token", &pypi, &pypi);
}

#[test]
fn openai_and_anthropic_keys() {
    let anthropic = shaped("sk-ant-api03-", 80);
    finds(
        "anthropic-key",
        &format!("x-api-key {anthropic}"),
        &anthropic,
    );
    let openai = shaped("sk-proj-", 120);
    finds("openai-key", &format!("{openai}\n"), &openai);
    let legacy = shaped("sk-", 48);
    finds("openai-key", &legacy, &legacy);
    // Prose and identifiers with `sk-` are not keys.
    assert!(ids("use sk-learn-preprocessing-guide-2024-for-beginners today").is_empty());
    assert!(ids("task-management-system-overview-2024-edition").is_empty());
}

#[test]
fn jwts_and_bearer_tokens() {
    finds("jwt", &format!("id_token={JWT}&state=x"), JWT);
    assert!(ids("eyJhbGciOiJIUzI1NiJ9 alone is just base64 JSON").is_empty());
    let token = shaped("", 32);
    finds(
        "bearer-token",
        &format!("curl -H 'Authorization: Bearer {token}'"),
        &format!("Bearer {token}"),
    );
    finds(
        "bearer-token",
        "Authorization: token abc12345",
        "token abc12345",
    );
    finds("bearer-token", &format!("use Bearer {token} here"), &token);
    // A JWT as a bearer token is found once.
    let text = format!("Authorization: Bearer {JWT}");
    assert_eq!(ids(&text), ["bearer-token"]);
    assert!(!redact(&text).contains("eyJ"));
    // "the bearer of bad news" is prose.
    assert!(ids("the bearer of this letter, the bearer instruments").is_empty());
    assert!(ids("Bearer authentication is described in RFC 6750").is_empty());
}

#[test]
fn url_passwords() {
    finds(
        "url-password",
        "postgres://app:s3cr3t-pw@db.internal:5432/x",
        "s3cr3t-pw",
    );
    assert!(ids("https://example.com:8443/path and user@example.com").is_empty());
}

#[test]
fn high_entropy_values_beside_key_like_names() {
    let value = "Zf3D0LXCM3EIMbgJpUNnkRtOfOueHznB";
    for text in [
        format!("password={value}"),
        format!("DB_PASSWORD: \"{value}\""),
        format!("\"client_secret\": \"{value}\""),
        format!("api-key = '{value}'"),
        format!("x-api-key: {value}"),
        format!("apiKey := {value}"),
        format!("access_tokens => {value}"),
        format!("{{\\\"session_token\\\":\\\"{value}\\\"}}"),
    ] {
        finds("generic-high-entropy", &text, value);
    }
}

#[test]
fn ordinary_values_beside_key_like_names_are_not_secrets() {
    for text in [
        "password: required",
        "password=changeme",
        "token: string, the token to use",
        "password=xxxxxxxxxxxxxxxxxxxx",
        "api_key=${OPENAI_API_KEY}",
        "password = <your password here>",
        "secret: configuration",
        "secret=DefaultValueProvider",
        "next_page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2",
        "nextPageToken: CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA2",
        "token_type=bearer",
        "auth: [REDACTED:generic-high-entropy]",
        "max_tokens: 4096",
    ] {
        assert!(ids(text).is_empty(), "{text}: {:?}", scan(text));
    }
}

#[test]
fn prose_uuids_digests_and_images_alone_are_not_secrets() {
    let prose = "The token bucket refills at 10 tokens per second. Reset your password from the \
                 account page; never share a secret key. Private keys stay on the device.";
    let uuid = "id 550e8400-e29b-41d4-a716-446655440000 done";
    let sha256 = "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let sha1 = "commit da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let image: String = (0..4096)
        .map(|i| b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="[i % 96] as char)
        .collect();
    let data_url = format!("<img src=\"data:image/png;base64,{image}\">");
    for text in [prose, uuid, sha256, sha1, &image, &data_url] {
        assert!(ids(text).is_empty(), "{text}: {:?}", scan(text));
    }
}

#[test]
fn beside_a_key_like_name_a_uuid_or_a_digest_is_one() {
    let uuid = "550e8400-e29b-41d4-a716-446655440000";
    finds("generic-high-entropy", &format!("session_id={uuid}"), uuid);
    let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    finds(
        "generic-high-entropy",
        &format!("auth_token: {digest}"),
        digest,
    );
}

#[test]
fn several_secrets_are_each_found_in_order() {
    let text = format!("a {AWS_ACCESS_KEY} b {GITHUB_TOKEN} c {JWT} d");
    assert_eq!(ids(&text), ["aws-access-key", "github-token", "jwt"]);
    assert_eq!(
        redact(&text),
        "a [REDACTED:aws-access-key] b [REDACTED:github-token] c [REDACTED:jwt] d"
    );
}

#[test]
fn text_without_secrets_is_borrowed() {
    assert!(matches!(
        redact("nothing here"),
        std::borrow::Cow::Borrowed(_)
    ));
}

#[test]
fn every_rule_is_documented_for_operators() {
    let docs = include_str!("../../../docs/operators.md");
    for id in RULES.iter().map(|r| r.id).chain(NAMED.iter().map(|r| r.id)) {
        assert!(
            docs.contains(&format!("| `{id}` |")),
            "{id} is not in docs/operators.md"
        );
    }
}

#[test]
fn invisible_characters_do_not_hide_a_secret() {
    for text in [
        "AKIA\u{200B}IOSFODNN7EXAMPLE".to_owned(),
        "AKIAIOSF\u{00AD}ODNN7\u{E0041}EXAMPLE".to_owned(),
        format!("x \u{202E}{}\u{202C} y", "AKIAIOSFODNN7EXAMPLE"),
    ] {
        assert_eq!(ids(&text), ["aws-access-key"], "{text:?}");
        let redacted = redact(&text);
        assert!(!redacted.contains("IOSF"), "{redacted:?}");
        assert!(
            redacted.contains("[REDACTED:aws-access-key]"),
            "{redacted:?}"
        );
        assert!(scan(&redacted).is_empty());
    }
    // Around the secret, the text is kept, invisible characters too.
    assert_eq!(
        redact("\u{200B}é AKIA\u{200B}IOSFODNN7EXAMPLE ü\u{200B}"),
        "\u{200B}é [REDACTED:aws-access-key] ü\u{200B}"
    );
}
