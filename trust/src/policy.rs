//! The trust policy file and signature verification against it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::Signature;
use serde::Deserialize;

use crate::error::{SignatureError, TrustError};
use crate::key::TrustedKey;
use crate::pattern::same_repository;
use crate::payload::{COSIGN_TYPE, Payload};
use crate::read_bounded;

/// The largest policy file read, in bytes. Policies list a few keys; the
/// bound stops a `--trust` pointing at a device or a huge file from hanging
/// or exhausting the host.
pub const MAX_POLICY: u64 = 1024 * 1024;

/// The largest signed payload verified, in bytes. cosign's simple-signing
/// payloads are a few hundred bytes (more with `optional` annotations); the
/// bound stops a hostile registry from making the host hash and parse a huge
/// "signature" blob once per trusted key.
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// The longest base64 signature annotation decoded, in characters. A DER
/// P-256 signature is at most 72 bytes (96 characters of base64); the bound
/// stops a hostile annotation from costing a large decode.
pub const MAX_SIGNATURE: usize = 256;

/// The policy file as written (see `docs/trust.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    /// `[[key]]` entries.
    #[serde(default, rename = "key")]
    keys: Vec<KeyEntry>,
}

/// One `[[key]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    /// e.g. `"release"`.
    name: String,
    /// e.g. `"keys/release.pub"`, relative to the policy file's directory.
    public_key: PathBuf,
    /// e.g. `["127.0.0.1:5000/moat/*", "ghcr.io/acme/math"]`.
    repositories: Vec<String>,
}

/// Which public keys may sign which OCI repositories. Deny by default: a
/// repository no key's patterns match has no trusted signer, and an artifact
/// from it verifies against nothing.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    keys: Vec<TrustedKey>,
}

impl TrustPolicy {
    /// Reads a policy file; key files are relative to the policy file's directory.
    pub fn read(path: &Path) -> Result<TrustPolicy, TrustError> {
        let bytes = match read_bounded(path, MAX_POLICY) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return Err(TrustError::TooLarge {
                    path: path.to_owned(),
                    limit: MAX_POLICY,
                });
            }
            Err(source) => {
                return Err(TrustError::Unreadable {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let text = String::from_utf8(bytes).map_err(|_| TrustError::Toml {
            path: path.to_owned(),
            message: "the file is not UTF-8 text".into(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse_at(&text, base, path)
    }

    /// Parses policy text; key paths relative to `base`.
    pub fn parse(text: &str, base: &Path) -> Result<TrustPolicy, TrustError> {
        Self::parse_at(text, base, Path::new("<text>"))
    }

    /// Parses `text` read from `origin` (named in errors).
    fn parse_at(text: &str, base: &Path, origin: &Path) -> Result<TrustPolicy, TrustError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| TrustError::Toml {
            path: origin.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let mut names = HashSet::new();
        let mut keys = Vec::with_capacity(file.keys.len());
        for entry in file.keys {
            if !valid_name(&entry.name) {
                return Err(TrustError::BadName {
                    path: origin.to_owned(),
                    name: entry.name,
                });
            }
            if !names.insert(entry.name.clone()) {
                return Err(TrustError::DuplicateName {
                    path: origin.to_owned(),
                    name: entry.name,
                });
            }
            let key_file = base.join(&entry.public_key);
            keys.push(TrustedKey::load(
                origin,
                entry.name,
                key_file,
                entry.repositories,
            )?);
        }
        Ok(TrustPolicy { keys })
    }

    /// The keys that may sign `repository` ("REGISTRY/REPO", e.g. "127.0.0.1:5000/moat/math").
    pub fn keys_for<'a>(
        &'a self,
        repository: &'a str,
    ) -> impl Iterator<Item = &'a TrustedKey> + 'a {
        self.keys
            .iter()
            .filter(move |key| key.trusted_for(repository))
    }

    /// Verifies one cosign "simple signing" signature: `payload` is the signature layer's blob,
    /// `signature` the base64 value of its `dev.cosignproject.cosign/signature` annotation.
    /// Ok(key) only if some key trusted for `repository` verifies it AND the payload's
    /// critical.image.docker-manifest-digest == `manifest_digest` AND critical.identity.docker-reference == `repository`
    /// AND critical.type == "cosign container image signature".
    ///
    /// The signature is checked before anything in the payload is read: an
    /// unverified payload is never parsed.
    pub fn verify(
        &self,
        repository: &str,
        manifest_digest: &str,
        payload: &[u8],
        signature: &str,
    ) -> Result<&TrustedKey, SignatureError> {
        let key = self.verified_by(repository, payload, signature)?;
        let named = |reason: String| SignatureError::BadPayload {
            repository: repository.to_owned(),
            key: key.name().to_owned(),
            reason,
        };
        let payload: Payload = serde_json::from_slice(payload).map_err(|e| named(e.to_string()))?;
        let critical = payload.critical;
        if critical.kind != COSIGN_TYPE {
            return Err(SignatureError::WrongType {
                repository: repository.to_owned(),
                key: key.name().to_owned(),
                found: critical.kind,
            });
        }
        if critical.image.docker_manifest_digest != manifest_digest {
            return Err(SignatureError::DigestMismatch {
                repository: repository.to_owned(),
                key: key.name().to_owned(),
                signed: critical.image.docker_manifest_digest,
                expected: manifest_digest.to_owned(),
            });
        }
        if !same_repository(&critical.identity.docker_reference, repository) {
            return Err(SignatureError::ReferenceMismatch {
                key: key.name().to_owned(),
                signed: critical.identity.docker_reference,
                expected: repository.to_owned(),
            });
        }
        Ok(key)
    }

    /// The key trusted for `repository` whose signature `signature` is over
    /// `payload`'s bytes.
    fn verified_by(
        &self,
        repository: &str,
        payload: &[u8],
        signature: &str,
    ) -> Result<&TrustedKey, SignatureError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(SignatureError::PayloadTooLarge {
                repository: repository.to_owned(),
                size: payload.len(),
                limit: MAX_PAYLOAD,
            });
        }
        if signature.len() > MAX_SIGNATURE {
            return Err(SignatureError::BadSignature {
                repository: repository.to_owned(),
            });
        }
        let bytes = STANDARD
            .decode(signature)
            .map_err(|e| SignatureError::BadBase64 {
                repository: repository.to_owned(),
                reason: e.to_string(),
            })?;
        // A 64-byte value may be r||s or (rarely) a short DER signature: try both.
        let forms: Vec<Signature> = [Signature::from_der(&bytes), Signature::from_slice(&bytes)]
            .into_iter()
            .flatten()
            .collect();
        if forms.is_empty() {
            return Err(SignatureError::BadSignature {
                repository: repository.to_owned(),
            });
        }
        let trusted: Vec<&TrustedKey> = self
            .keys
            .iter()
            .filter(|key| key.trusted_for(repository))
            .collect();
        if trusted.is_empty() {
            return Err(SignatureError::NoKeyFor {
                repository: repository.to_owned(),
            });
        }
        trusted
            .iter()
            .find(|key| forms.iter().any(|form| key.verifies(payload, form)))
            .copied()
            .ok_or_else(|| SignatureError::NotVerified {
                repository: repository.to_owned(),
                keys: trusted.iter().map(|key| key.name().to_owned()).collect(),
            })
    }
}

/// A key name is 1-64 letters, digits, `.`, `_` or `-`: it is printed in logs
/// and on stdout and written to the lock, so it may not carry newlines,
/// quotes or terminal escapes.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}
