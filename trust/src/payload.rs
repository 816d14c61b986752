//! The cosign "simple signing" payload: the JSON document a cosign signature
//! signs, naming the manifest digest and the repository it vouches for.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"127.0.0.1:5000/moat/math"},
//!   "image":{"docker-manifest-digest":"sha256:…"},
//!   "type":"cosign container image signature"},"optional":null}
//! ```
//! Only `critical` is read; `optional` (and any other member) may be anything.
//! A member given twice is refused (serde's duplicate-field check), so two
//! parsers cannot read two different digests from one signed document.

use serde::Deserialize;

/// The `critical.type` of a cosign image signature.
pub(crate) const COSIGN_TYPE: &str = "cosign container image signature";

/// The part of the payload this crate checks.
#[derive(Debug, Deserialize)]
pub(crate) struct Payload {
    /// What is signed.
    pub(crate) critical: Critical,
}

/// `critical`: the repository, the manifest digest and the document type.
#[derive(Debug, Deserialize)]
pub(crate) struct Critical {
    /// `identity`.
    pub(crate) identity: Identity,
    /// `image`.
    pub(crate) image: Image,
    /// `type`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
}

/// `critical.identity`.
#[derive(Debug, Deserialize)]
pub(crate) struct Identity {
    /// The repository signed, `REGISTRY/REPO` without tag or digest.
    #[serde(rename = "docker-reference")]
    pub(crate) docker_reference: String,
}

/// `critical.image`.
#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    /// The OCI manifest digest signed, `sha256:…`.
    #[serde(rename = "docker-manifest-digest")]
    pub(crate) docker_manifest_digest: String,
}
