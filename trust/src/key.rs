//! One trusted public key: its name, its fingerprint, the repositories it
//! may sign, and the ECDSA P-256 check of a signature.

use std::path::{Path, PathBuf};

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::der::{Document, pem};
use p256::pkcs8::spki::{DecodePublicKey, SubjectPublicKeyInfoRef};
use p256::pkcs8::{AssociatedOid, ObjectIdentifier};
use sha2::{Digest, Sha256};

use crate::error::TrustError;
use crate::pattern::Pattern;
use crate::read_bounded;

/// The largest public key file read, in bytes. A P-256 PEM public key is
/// 178 bytes; the bound stops a policy whose `public_key` points at a device
/// or a huge file (`/dev/zero`) from hanging or exhausting the host.
pub const MAX_KEY_FILE: u64 = 64 * 1024;

/// `id-ecPublicKey` (RFC 5480).
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");

/// A public key the operator trusts to sign some repositories.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    name: String,
    fingerprint: String,
    repositories: Vec<String>,
    patterns: Vec<Pattern>,
    key: VerifyingKey,
}

impl TrustedKey {
    /// The key's name in the policy (shown in logs, recorded in the lock).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `sha256:` and the lowercase hex SHA-256 of the key's
    /// SubjectPublicKeyInfo DER, as in the PEM file (what
    /// `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The repository patterns this key may sign, as written in the policy.
    pub fn repositories(&self) -> &[String] {
        &self.repositories
    }

    /// Whether this key may sign `repository`.
    pub(crate) fn trusted_for(&self, repository: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(repository))
    }

    /// Whether `signature` is this key's ECDSA P-256 / SHA-256 signature of
    /// `payload`.
    pub(crate) fn verifies(&self, payload: &[u8], signature: &Signature) -> bool {
        self.key.verify(payload, signature).is_ok()
    }

    /// Loads the key entry `name` of the policy at `policy` (for errors), its
    /// PEM file at `key_file`, trusted for `repositories`.
    pub(crate) fn load(
        policy: &Path,
        name: String,
        key_file: PathBuf,
        repositories: Vec<String>,
    ) -> Result<TrustedKey, TrustError> {
        if repositories.is_empty() {
            return Err(TrustError::NoRepositories {
                path: policy.to_owned(),
                name,
            });
        }
        let mut patterns = Vec::with_capacity(repositories.len());
        for pattern in &repositories {
            match Pattern::parse(pattern) {
                Ok(parsed) => patterns.push(parsed),
                Err(reason) => {
                    return Err(TrustError::BadPattern {
                        path: policy.to_owned(),
                        name,
                        pattern: pattern.clone(),
                        reason,
                    });
                }
            }
        }
        let bytes = match read_bounded(&key_file, MAX_KEY_FILE) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return Err(TrustError::TooLarge {
                    path: key_file,
                    limit: MAX_KEY_FILE,
                });
            }
            Err(source) => {
                return Err(TrustError::KeyUnreadable {
                    path: policy.to_owned(),
                    name,
                    key_file,
                    source,
                });
            }
        };
        let not_public_key = |reason: String| TrustError::NotPublicKey {
            path: policy.to_owned(),
            name: name.clone(),
            key_file: key_file.clone(),
            reason,
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| not_public_key("not text".into()))?;
        let label =
            pem::decode_label(text.as_bytes()).map_err(|e| not_public_key(e.to_string()))?;
        if label != "PUBLIC KEY" {
            return Err(not_public_key(format!("found a PEM {label:?}")));
        }
        let (_, der) = Document::from_pem(text)
            .map_err(|e| not_public_key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let spki = SubjectPublicKeyInfoRef::try_from(der.as_bytes())
            .map_err(|e| not_public_key(format!("not a SubjectPublicKeyInfo: {e}")))?;
        let curve = spki
            .algorithm
            .parameters_oid()
            .ok()
            .filter(|_| spki.algorithm.oid == EC_PUBLIC_KEY);
        if curve != Some(p256::NistP256::OID) {
            let found = match curve {
                Some(curve) => format!("EC key on curve {curve}"),
                None => format!("algorithm {}", spki.algorithm.oid),
            };
            return Err(TrustError::NotP256 {
                path: policy.to_owned(),
                name,
                key_file,
                found,
            });
        }
        let key = VerifyingKey::from_public_key_der(der.as_bytes())
            .map_err(|e| not_public_key(format!("not a valid P-256 point: {e}")))?;
        let fingerprint =
            Sha256::digest(der.as_bytes())
                .iter()
                .fold(String::from("sha256:"), |mut hex, byte| {
                    hex.push_str(&format!("{byte:02x}"));
                    hex
                });
        Ok(TrustedKey {
            name,
            fingerprint,
            repositories,
            patterns,
            key,
        })
    }
}
