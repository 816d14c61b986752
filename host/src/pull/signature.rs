//! Finding an artifact's cosign signatures in its registry (the OCI 1.1
//! referrers API, and the `sha256-HEX.sig` tag) and verifying them against
//! the trust policy.

use anyhow::bail;
use moat_trust::{TrustPolicy, TrustedKey};
use oci_client::manifest::{OciDescriptor, OciManifest};

use super::artifact;
use super::download::{SMALL_BLOB, blob};
use super::reference::{OciReference, parse_digest};

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

/// Finds a signature of `digest` in `reference`'s repository that a key
/// trusted for it verifies; refuses, with the most telling reason, if none.
pub async fn verify<'p>(
    client: &oci_client::Client,
    reference: &OciReference,
    auth: &oci_client::secrets::RegistryAuth,
    policy: &'p TrustPolicy,
    digest: &str,
) -> anyhow::Result<&'p TrustedKey> {
    let repository = reference.repository_path();
    if policy.keys_for(&repository).next().is_none() {
        bail!(
            "the trust policy trusts no key for {repository}: refused (add a key for it, or --allow-unsigned)"
        );
    }
    let tag = format!("{}.sig", digest.replace(':', "-"));
    let mut manifests = Vec::new();
    let mut problems = Vec::new();
    let subject = artifact::image(reference, digest);
    match client
        .pull_referrers(&subject, Some(SIGNATURE_ARTIFACT))
        .await
    {
        Ok(index) => manifests.extend(
            index
                .manifests
                .into_iter()
                .filter_map(|entry| parse_digest(&entry.digest).ok())
                .take(MAX_SIGNATURE_MANIFESTS),
        ),
        Err(error) => problems.push(format!("the referrers of {digest}: {error}")),
    }
    let mut layers = Vec::new();
    for entry in &manifests {
        match signature_manifest(client, reference, auth, &artifact::image(reference, entry)).await
        {
            Ok(found) => layers.extend(found),
            Err(error) => problems.push(format!("{entry}: {error:#}")),
        }
    }
    let tagged = oci_client::Reference::with_tag(
        reference.registry.clone(),
        reference.repository.clone(),
        tag.clone(),
    );
    match signature_manifest(client, reference, auth, &tagged).await {
        Ok(found) => layers.extend(found),
        Err(error) => problems.push(format!("the tag {tag}: {error:#}")),
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
        if let Err(error) = blob(client, reference, &layer, SMALL_BLOB, &mut payload).await {
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

/// The simple-signing layers of the signature manifest at `image`, each
/// with its base64 signature (at most [`MAX_SIGNATURE_LAYERS`]). `Ok` and
/// empty if there is none.
async fn signature_manifest(
    client: &oci_client::Client,
    reference: &OciReference,
    auth: &oci_client::secrets::RegistryAuth,
    image: &oci_client::Reference,
) -> anyhow::Result<Vec<(OciDescriptor, String)>> {
    let bytes = match artifact::manifest(client, reference, image, auth).await {
        Ok((bytes, digest)) => {
            if let Some(named) = image.digest() {
                anyhow::ensure!(
                    named == digest,
                    "the registry sent a manifest of digest {digest}"
                );
            }
            bytes
        }
        Err(error) if is_not_found(&error) => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
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

/// Whether the registry said the manifest does not exist.
fn is_not_found(error: &anyhow::Error) -> bool {
    use oci_client::errors::{OciDistributionError as E, OciErrorCode};
    error.chain().any(|cause| match cause.downcast_ref::<E>() {
        Some(E::ImageManifestNotFoundError(_)) | Some(E::ServerError { code: 404, .. }) => true,
        Some(E::RegistryError { envelope, .. }) => envelope.errors.iter().any(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NotFound | OciErrorCode::NameUnknown
            )
        }),
        _ => false,
    })
}
