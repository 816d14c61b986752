//! A signature made by another implementation (OpenSSL 3: `openssl ecparam
//! -name prime256v1 -genkey`, `openssl ec -pubout`, `openssl dgst -sha256
//! -sign`) verifies, and the fingerprint is what `openssl pkey -pubin
//! -outform DER | sha256sum` prints.

use super::{DIGEST, REPO};
use crate::TrustPolicy;

const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZb6mqadKcBHN3NYPJMHLxIDYe6Hr
n8Hhav1eihodrTYNq16us6sOw0WtlX4XcVteFPrS286erfpE8jkczLHnjg==
-----END PUBLIC KEY-----
";

const PAYLOAD: &str = r#"{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/moat/math"},"image":{"docker-manifest-digest":"sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"},"type":"cosign container image signature"},"optional":null}"#;

const SIGNATURE: &str = "MEUCID94gj8twUy0SM43jODep/P3o6ULjfna+fYLHQ7Hvgk+AiEArgHSgNY6r3sIQyZorESwUuLj/g2AoNbkOKaHD0GsEJQ=";

const FINGERPRINT: &str = "sha256:f2932322c4b3fc77c566c531b9bf0e4c4a66bd17b924d69e0c2dfea59df57c65";

#[test]
fn an_openssl_signature_verifies_with_the_openssl_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("release.pub"), PUBLIC_KEY).unwrap();
    let policy = TrustPolicy::parse(
        "[[key]]\nname = \"release\"\npublic_key = \"release.pub\"\nrepositories = [\"127.0.0.1:5000/moat/*\"]\n",
        dir.path(),
    )
    .unwrap();
    let key = policy
        .verify(REPO, DIGEST, PAYLOAD.as_bytes(), SIGNATURE)
        .unwrap();
    assert_eq!(key.name(), "release");
    assert_eq!(key.fingerprint(), FINGERPRINT);
    let mut tampered = PAYLOAD.as_bytes().to_vec();
    tampered[PAYLOAD.len() - 3] = b'X';
    assert!(policy.verify(REPO, DIGEST, &tampered, SIGNATURE).is_err());
}
