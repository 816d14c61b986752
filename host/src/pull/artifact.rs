//! Resolving an OCI reference to its manifest (the digest computed here,
//! over the bytes received) and picking out the component's layer and an
//! optional suggested manifest.

use anyhow::{Context as _, anyhow, bail, ensure};
use oci_client::manifest::{self as media, OciDescriptor, OciImageManifest, OciManifest};
use sha2::{Digest as _, Sha256};

use super::reference::{OciReference, parse_digest};

/// The media type of a policy shipped beside a component. It grants
/// nothing: it is written to `DIR/.moat/suggested/NAME.toml` for the
/// operator to read.
pub const SUGGESTED_MANIFEST: &str = "application/vnd.moat.manifest.v1+toml";

/// The layer media types that are a component's bytes as they are.
const WASM_LAYERS: [&str; 3] = [
    "application/wasm",
    media::WASM_LAYER_MEDIA_TYPE,
    "application/vnd.module.wasm.content.layer.v1+wasm",
];

/// The manifest media types asked for and accepted.
const ACCEPTED: [&str; 4] = [
    media::OCI_IMAGE_MEDIA_TYPE,
    media::IMAGE_MANIFEST_MEDIA_TYPE,
    media::OCI_IMAGE_INDEX_MEDIA_TYPE,
    media::IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// A resolved artifact: what the reference pointed at, and its layers.
pub struct Artifact {
    /// The digest the reference resolved to (an image index's, if it is
    /// one): what a signature signs and the lock records.
    pub digest: String,
    /// The layer holding the component.
    pub component: Component,
    /// The suggested manifest's layer, if the artifact ships one.
    pub suggested: Option<OciDescriptor>,
}

/// How the component's bytes are stored in its layer.
#[derive(Debug)]
pub enum Component {
    /// The layer is the component.
    Wasm(OciDescriptor),
    /// The layer is a tar (gzipped if `gzip`) holding one `*.wasm` file.
    Tar {
        /// The layer.
        layer: OciDescriptor,
        /// Whether it is gzipped.
        gzip: bool,
    },
}

/// The oci-client reference to `digest` in `reference`'s repository.
pub fn image(reference: &OciReference, digest: &str) -> oci_client::Reference {
    oci_client::Reference::with_digest(
        reference.registry.clone(),
        reference.repository.clone(),
        digest.to_owned(),
    )
}

/// The oci-client reference `reference` names (its digest if it has one).
fn named(reference: &OciReference) -> oci_client::Reference {
    match (&reference.tag, &reference.digest) {
        (_, Some(digest)) => image(reference, digest),
        (Some(tag), None) => oci_client::Reference::with_tag(
            reference.registry.clone(),
            reference.repository.clone(),
            tag.clone(),
        ),
        (None, None) => unreachable!("a parsed OCI reference names a tag or a digest"),
    }
}

/// Fetches the manifest at `image`, returning its bytes and their digest,
/// computed here.
pub async fn manifest(
    client: &oci_client::Client,
    reference: &OciReference,
    image: &oci_client::Reference,
    auth: &oci_client::secrets::RegistryAuth,
) -> anyhow::Result<(bytes::Bytes, String)> {
    let (bytes, _their_digest) = client
        .pull_manifest_raw(image, auth, &ACCEPTED)
        .await
        .map_err(|error| super::registry::explain(&reference.registry, error))
        .with_context(|| format!("cannot fetch the manifest of {image}"))?;
    Ok((
        bytes.clone(),
        format!("sha256:{:x}", Sha256::digest(&bytes)),
    ))
}

/// Resolves `reference`: its manifest (through an image index to its one
/// `wasm` entry) and the layers in it.
pub async fn resolve(
    client: &oci_client::Client,
    reference: &OciReference,
    auth: &oci_client::secrets::RegistryAuth,
) -> anyhow::Result<Artifact> {
    let (bytes, digest) = manifest(client, reference, &named(reference), auth).await?;
    if let Some(named) = &reference.digest {
        ensure!(
            *named == digest,
            "the registry sent a manifest of digest {digest} for {named}: refused"
        );
    }
    let image = match parse(&bytes)? {
        OciManifest::Image(image) => image,
        OciManifest::ImageIndex(index) => {
            let entry = wasm_entry(&index)?;
            let (bytes, got) = manifest(client, reference, &image(reference, &entry), auth).await?;
            ensure!(
                got == entry,
                "the registry sent a manifest of digest {got} for the index entry {entry}: refused"
            );
            match parse(&bytes)? {
                OciManifest::Image(image) => image,
                OciManifest::ImageIndex(_) => bail!("the index entry {entry} is another index"),
            }
        }
    };
    let (component, suggested) = select(&image)?;
    Ok(Artifact {
        digest,
        component,
        suggested,
    })
}

fn parse(bytes: &[u8]) -> anyhow::Result<OciManifest> {
    serde_json::from_slice(bytes)
        .map_err(|error| anyhow!("the manifest is not an OCI or docker v2 manifest: {error}"))
}

/// The digest of an index's one entry for the `wasm` architecture.
pub fn wasm_entry(index: &oci_client::manifest::OciImageIndex) -> anyhow::Result<String> {
    let wasm: Vec<&str> = index
        .manifests
        .iter()
        .filter(|entry| {
            entry
                .platform
                .as_ref()
                .is_some_and(|p| p.architecture.to_string() == "wasm")
        })
        .map(|entry| entry.digest.as_str())
        .collect();
    match wasm.as_slice() {
        [one] => parse_digest(one),
        _ => {
            let entries: Vec<String> = index
                .manifests
                .iter()
                .take(16)
                .map(|entry| match &entry.platform {
                    Some(p) => format!("{} ({}/{})", entry.digest, p.os, p.architecture),
                    None => format!("{} (no platform)", entry.digest),
                })
                .collect();
            bail!(
                "the image index has {} entries for architecture wasm, not one: {}",
                wasm.len(),
                entries.join(", ")
            )
        }
    }
}

/// Picks the component's layer (exactly one wasm layer, or a plain image's
/// one tar layer) and the optional suggested manifest; refuses anything
/// else, naming the media types found.
pub fn select(image: &OciImageManifest) -> anyhow::Result<(Component, Option<OciDescriptor>)> {
    let found = || {
        let types: Vec<&str> = image.layers.iter().map(|l| l.media_type.as_str()).collect();
        format!("found layers: [{}]", types.join(", "))
    };
    let (suggested, others): (Vec<&OciDescriptor>, Vec<&OciDescriptor>) = image
        .layers
        .iter()
        .partition(|layer| layer.media_type == SUGGESTED_MANIFEST);
    let suggested = match suggested.as_slice() {
        [] => None,
        [one] => Some((*one).clone()),
        _ => bail!("more than one suggested manifest layer; {}", found()),
    };
    let component = match others.as_slice() {
        [one] if WASM_LAYERS.contains(&one.media_type.as_str()) => Component::Wasm((*one).clone()),
        [one] => match one.media_type.as_str() {
            media::IMAGE_LAYER_MEDIA_TYPE | media::IMAGE_DOCKER_LAYER_TAR_MEDIA_TYPE => {
                Component::Tar {
                    layer: (*one).clone(),
                    gzip: false,
                }
            }
            media::IMAGE_LAYER_GZIP_MEDIA_TYPE | media::IMAGE_DOCKER_LAYER_GZIP_MEDIA_TYPE => {
                Component::Tar {
                    layer: (*one).clone(),
                    gzip: true,
                }
            }
            _ => bail!(
                "no component layer (application/wasm, or one tar layer); {}",
                found()
            ),
        },
        [] => bail!("no component layer; {}", found()),
        _ => bail!(
            "{} layers besides a suggested manifest; a component is exactly one; {}",
            others.len(),
            found()
        ),
    };
    Ok((component, suggested))
}
