//! Unit and property tests of the trust crate. Signatures are made with
//! p256's `SigningKey` here; the end-to-end tests sign with Python's
//! `cryptography` instead, so the two sides never share a library.

mod openssl;
mod pattern;
mod policy;
mod props;
mod verify;

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey;
use p256::pkcs8::LineEnding;

use crate::TrustPolicy;

/// The repository most tests verify.
const REPO: &str = "127.0.0.1:5000/moat/math";
/// The manifest digest most tests verify.
const DIGEST: &str = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// A deterministic signing key from a seed byte (1..=200 are valid scalars).
fn signing_key(seed: u8) -> SigningKey {
    let mut bytes = [seed; 32];
    bytes[0] = 0x01;
    SigningKey::from_slice(&bytes).expect("a valid P-256 scalar")
}

/// The PEM `PUBLIC KEY` of `key`, as cosign.pub holds it.
fn public_pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("PEM encoding")
}

/// The cosign annotation value: base64 of the DER signature of `payload`.
fn sign(key: &SigningKey, payload: &[u8]) -> String {
    let signature: Signature = key.sign(payload);
    STANDARD.encode(signature.to_der().as_bytes())
}

/// A simple-signing payload as cosign writes it.
fn payload(reference: &str, digest: &str, kind: &str) -> Vec<u8> {
    serde_json::json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": kind,
        },
        "optional": null,
    })
    .to_string()
    .into_bytes()
}

/// The payload cosign writes for `REPO` at `DIGEST`.
fn good_payload() -> Vec<u8> {
    payload(REPO, DIGEST, "cosign container image signature")
}

/// Writes each `(name, seed, repositories)` key's PEM into `dir/keys/` and a
/// policy naming them into `dir/trust.toml`, and reads it.
fn policy_in(dir: &Path, keys: &[(&str, u8, &[&str])]) -> TrustPolicy {
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    let mut text = String::new();
    for (name, seed, repositories) in keys {
        std::fs::write(
            dir.join(format!("keys/{name}.pub")),
            public_pem(&signing_key(*seed)),
        )
        .unwrap();
        text.push_str(&format!(
            "[[key]]\nname = {name:?}\npublic_key = \"keys/{name}.pub\"\nrepositories = {repositories:?}\n\n"
        ));
    }
    std::fs::write(dir.join("trust.toml"), text).unwrap();
    TrustPolicy::read(&dir.join("trust.toml")).expect("the policy reads")
}
