//! Resolving an OCI reference to its manifest (the digest computed here,
//! over the bytes received) and picking out the component's layer and an
//! optional suggested manifest.

use anyhow::{Context as _, anyhow, bail, ensure};
use oci_client::manifest::{self as media, OciDescriptor, OciImageManifest, OciManifest};

use super::reference::{OciReference, parse_digest};
use super::session::Registry;

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

/// What `reference` names in its repository: its digest if it has one,
/// else its tag.
fn target(reference: &OciReference) -> &str {
    match (&reference.digest, &reference.tag) {
        (Some(digest), _) => digest,
        (None, Some(tag)) => tag,
        (None, None) => unreachable!("a parsed OCI reference names a tag or a digest"),
    }
}

/// Fetches the manifest at `target` (a tag or a digest): its bytes and
/// their digest, computed here; refused if the registry has none, or, for
/// a digest, sends other bytes.
pub async fn manifest(registry: &Registry, target: &str) -> anyhow::Result<(bytes::Bytes, String)> {
    let repository = registry.reference.repository_path();
    let (bytes, digest) = registry
        .manifest(target, &ACCEPTED)
        .await
        .with_context(|| format!("cannot fetch the manifest {repository}:{target}"))?
        .ok_or_else(|| anyhow!("{repository} has no manifest {target}"))?;
    if target.starts_with("sha256:") {
        ensure!(
            digest == target,
            "the registry sent a manifest of digest {digest} for {target}: refused"
        );
    }
    Ok((bytes, digest))
}

/// Resolves `registry`'s reference: its manifest (through an image index
/// to its one `wasm` entry) and the layers in it.
pub async fn resolve(registry: &Registry) -> anyhow::Result<Artifact> {
    let (bytes, digest) = manifest(registry, target(&registry.reference)).await?;
    let image = match parse(&bytes)? {
        OciManifest::Image(image) => image,
        OciManifest::ImageIndex(index) => {
            let entry = wasm_entry(&index)?;
            let (bytes, _) = manifest(registry, &entry).await?;
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
