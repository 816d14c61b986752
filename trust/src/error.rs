//! The two errors at the crate's boundary: a policy that cannot be used
//! ([`TrustError`], the operator's file is wrong) and a signature that does
//! not verify ([`SignatureError`], the artifact is refused).

use std::path::PathBuf;

/// Why a trust policy file cannot be used. Every variant names the file (and
/// the key entry, when there is one) so the operator can fix it.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The policy file cannot be read (missing, a directory, no permission).
    #[error("cannot read trust policy {path}: {source}")]
    Unreadable {
        /// The policy file.
        path: PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
    /// The policy file (or a key file) is larger than the crate reads.
    #[error(
        "{path} is larger than {limit} bytes; a trust policy or public key is never that large"
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound, in bytes.
        limit: u64,
    },
    /// The policy is not valid TOML, or has a key this format does not know
    /// (the message carries the line and column).
    #[error("trust policy {path} is not valid: {message}")]
    Toml {
        /// The policy file (or `<text>` when parsed from a string).
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// Two `[[key]]` entries share a name, so the lock could not say which
    /// one verified a plugin.
    #[error("trust policy {path}: two keys are named {name:?}; key names must be unique")]
    DuplicateName {
        /// The policy file.
        path: PathBuf,
        /// The repeated name.
        name: String,
    },
    /// A key's name is empty or holds characters other than letters, digits,
    /// `.`, `_` and `-` (it is printed in logs and written to the lock).
    #[error("trust policy {path}: key name {name:?} must be 1-64 letters, digits, '.', '_' or '-'")]
    BadName {
        /// The policy file.
        path: PathBuf,
        /// The name as written.
        name: String,
    },
    /// A key's public key file cannot be read.
    #[error("trust policy {path}: key {name:?}: cannot read public key {key_file}: {source}")]
    KeyUnreadable {
        /// The policy file.
        path: PathBuf,
        /// The key entry's name.
        name: String,
        /// The public key file, resolved against the policy's directory.
        key_file: PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
    /// A key's file is not a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), the
    /// format of `cosign.pub` and `openssl ec -pubout`.
    #[error(
        "trust policy {path}: key {name:?}: {key_file} is not a PEM public key \
         (expected -----BEGIN PUBLIC KEY-----, as cosign.pub or `openssl ec -pubout` write): {reason}"
    )]
    NotPublicKey {
        /// The policy file.
        path: PathBuf,
        /// The key entry's name.
        name: String,
        /// The public key file.
        key_file: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// A key's file is a public key, but not an ECDSA P-256 one (cosign's
    /// default key type, the only one this crate verifies).
    #[error(
        "trust policy {path}: key {name:?}: {key_file} is not an ECDSA P-256 public key \
         (found {found}); make one with `cosign generate-key-pair` or `openssl ecparam -name prime256v1 -genkey`"
    )]
    NotP256 {
        /// The policy file.
        path: PathBuf,
        /// The key entry's name.
        name: String,
        /// The public key file.
        key_file: PathBuf,
        /// The algorithm (and curve) the file holds.
        found: String,
    },
    /// A repository pattern is malformed (see [`crate::pattern`] for the
    /// rules).
    #[error("trust policy {path}: key {name:?}: repository pattern {pattern:?} {reason}")]
    BadPattern {
        /// The policy file.
        path: PathBuf,
        /// The key entry's name.
        name: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key lists no repositories, so it could never verify anything.
    #[error(
        "trust policy {path}: key {name:?} lists no repositories; \
         name the repositories it may sign, e.g. [\"ghcr.io/acme/*\"]"
    )]
    NoRepositories {
        /// The policy file.
        path: PathBuf,
        /// The key entry's name.
        name: String,
    },
}

/// Why a signature does not let an artifact in. Nothing in an unverified
/// payload is ever quoted: the variants that name payload values are only
/// produced after a trusted key verified it.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The signature annotation is not standard base64.
    #[error("signature of {repository} is not base64: {reason}")]
    BadBase64 {
        /// The repository being verified.
        repository: String,
        /// The decoder's message.
        reason: String,
    },
    /// The decoded signature is neither an ASN.1 DER ECDSA signature nor a
    /// 64-byte r||s pair.
    #[error(
        "signature of {repository} is not an ECDSA P-256 signature (ASN.1 DER or 64-byte r||s)"
    )]
    BadSignature {
        /// The repository being verified.
        repository: String,
    },
    /// The signed payload is larger than [`crate::MAX_PAYLOAD`].
    #[error("signature payload of {repository} is {size} bytes, over the {limit}-byte limit")]
    PayloadTooLarge {
        /// The repository being verified.
        repository: String,
        /// The payload's size.
        size: usize,
        /// The bound.
        limit: usize,
    },
    /// No key in the policy may sign this repository.
    #[error(
        "no key in the trust policy may sign {repository}; add a [[key]] whose repositories match it"
    )]
    NoKeyFor {
        /// The repository being verified.
        repository: String,
    },
    /// Keys are trusted for the repository, but none verifies the signature.
    #[error("signature of {repository} is not verified by any key trusted for it (tried {})", .keys.join(", "))]
    NotVerified {
        /// The repository being verified.
        repository: String,
        /// The names of the keys tried.
        keys: Vec<String>,
    },
    /// The verified payload is not a cosign simple-signing JSON document.
    #[error(
        "signed payload of {repository} (key {key}) is not a cosign simple-signing document: {reason}"
    )]
    BadPayload {
        /// The repository being verified.
        repository: String,
        /// The key that verified it.
        key: String,
        /// The parser's message.
        reason: String,
    },
    /// The verified payload's `critical.type` is not a cosign image
    /// signature.
    #[error(
        "signed payload of {repository} (key {key}) has type {found:?}, \
         expected \"cosign container image signature\""
    )]
    WrongType {
        /// The repository being verified.
        repository: String,
        /// The key that verified it.
        key: String,
        /// The type it states.
        found: String,
    },
    /// The verified payload signs another manifest: a signature copied from
    /// another artifact.
    #[error("signature by key {key} is for manifest {signed}, not {expected} ({repository})")]
    DigestMismatch {
        /// The repository being verified.
        repository: String,
        /// The key that verified it.
        key: String,
        /// The digest the payload signs.
        signed: String,
        /// The digest being pulled.
        expected: String,
    },
    /// The verified payload names another repository: a signature copied
    /// from another repository.
    #[error("signature by key {key} is for repository {signed}, not {expected}")]
    ReferenceMismatch {
        /// The key that verified it.
        key: String,
        /// The repository the payload names.
        signed: String,
        /// The repository being pulled.
        expected: String,
    },
}
