//! Finding an artifact's cosign signatures in its registry (the OCI 1.1
//! referrers API, and the `sha256-HEX.sig` tag) and verifying them against
//! the trust policy.

use anyhow::bail;
use moat_trust::{TrustPolicy, TrustedKey};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciManifest};

use super::download::{SMALL_BLOB, blob};
use super::reference::parse_digest;
use super::session::Registry;

/// The artifact type of a cosign signature manifest in the referrers API.
const SIGNATURE_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

/// The media type of a cosign signature layer (its blob is the payload).
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The annotation holding a layer's base64 signature.
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The most signature manifests looked at: 16. A hostile registry can list
/// thousands of referrers; each costs a request, so the bound stops it
/// from keeping `moat pull` busy (a real artifact has one or two).
pub const MAX_SIGNATURE_MANIFESTS: usize = 16;

/// The most signature layers looked at in one signature manifest: 16.
/// Stops a hostile manifest listing thousands of layers, each a fetch.
pub const MAX_SIGNATURE_LAYERS: usize = 16;

/// Finds a signature of `digest` in the session's repository that a key
/// trusted for it verifies; refuses, with the most telling reason, if none.
pub async fn verify<'p>(
    registry: &Registry,
    policy: &'p TrustPolicy,
    digest: &str,
) -> anyhow::Result<&'p TrustedKey> {
    let repository = registry.reference.repository_path();
    if policy.keys_for(&repository).next().is_none() {
        bail!(
            "the trust policy trusts no key for {repository}: refused (add a key for it, or --allow-unsigned)"
        );
    }
    let tag = format!("{}.sig", digest.replace(':', "-"));
    let mut manifests = Vec::new();
    let mut problems = Vec::new();
    match registry.referrers(digest, SIGNATURE_ARTIFACT).await {
        Ok(entries) => manifests.extend(
            entries
                .into_iter()
                .filter_map(|entry| parse_digest(&entry.digest).ok())
                .take(MAX_SIGNATURE_MANIFESTS),
        ),
        Err(error) => problems.push(format!("the referrers of {digest}: {error:#}")),
    }
    let mut layers = Vec::new();
    for entry in manifests.iter().chain([&tag]) {
        match signature_manifest(registry, entry).await {
            Ok(found) => layers.extend(found),
            Err(error) => problems.push(format!("{entry}: {error:#}")),
        }
    }
    if layers.is_empty() {
        bail!(
            "no cosign signature of {digest} found (looked at its referrers and the tag {tag}{}): refused (sign it, or --allow-unsigned)",
            if problems.is_empty() {
                String::new()
            } else {
                format!("; {}", problems.join("; "))
            }
        );
    }
    let mut rejected = Vec::new();
    for (layer, signature) in layers {
        let mut payload = Vec::new();
        if let Err(error) = blob(registry, &layer, SMALL_BLOB, &mut payload).await {
            rejected.push(format!("{}: {error:#}", layer.digest));
            continue;
        }
        match policy.verify(&repository, digest, &payload, &signature) {
            Ok(key) => return Ok(key),
            Err(error) => rejected.push(error.to_string()),
        }
    }
    rejected.dedup();
    bail!(
        "signed, but no signature verifies with a key trusted for {repository}: {}: refused",
        rejected.join("; ")
    )
}

/// The simple-signing layers of the signature manifest at `target` (a
/// digest or the `.sig` tag), each with its base64 signature (at most
/// [`MAX_SIGNATURE_LAYERS`]). `Ok` and empty if there is none.
async fn signature_manifest(
    registry: &Registry,
    target: &str,
) -> anyhow::Result<Vec<(OciDescriptor, String)>> {
    let Some((bytes, digest)) = registry.manifest(target, &[OCI_IMAGE_MEDIA_TYPE]).await? else {
        return Ok(Vec::new());
    };
    if target.starts_with("sha256:") {
        anyhow::ensure!(
            target == digest,
            "the registry sent a manifest of digest {digest}"
        );
    }
    let OciManifest::Image(manifest) = serde_json::from_slice(&bytes)? else {
        bail!("not a signature manifest (an index)");
    };
    Ok(manifest
        .layers
        .into_iter()
        .filter(|layer| layer.media_type == SIMPLE_SIGNING)
        .take(MAX_SIGNATURE_LAYERS)
        .filter_map(|layer| {
            let signature = layer
                .annotations
                .as_ref()?
                .get(SIGNATURE_ANNOTATION)?
                .clone();
            Some((layer, signature))
        })
        .collect())
}
