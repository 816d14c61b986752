//! The trust policy of `moat pull` and in-process verification of cosign
//! signatures.
//!
//! A [`TrustPolicy`] lists public keys (ECDSA P-256, cosign's default key
//! type) and, for each, the OCI repositories it may sign. [`TrustPolicy::verify`]
//! checks one cosign "simple signing" signature: the ECDSA P-256 / SHA-256
//! signature over the payload bytes by a key trusted for the repository, and
//! then that the signed payload names the manifest digest and repository being
//! pulled. Pure: no network, no clock, no keyless (Fulcio) certificates and no
//! transparency log (Rekor); the operator's public keys are the only roots.
//! The policy format is in `docs/trust.md`.

mod error;
mod key;
mod pattern;
mod payload;
mod policy;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;

pub use error::{SignatureError, TrustError};
pub use key::{MAX_KEY_FILE, TrustedKey};
pub use policy::{MAX_PAYLOAD, MAX_POLICY, MAX_SIGNATURE, TrustPolicy};

/// Reads at most `limit` bytes of `path`: `Ok(None)` if it holds more.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
