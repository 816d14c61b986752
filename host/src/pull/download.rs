//! Streaming one blob (from a registry or a URL) into a sink, bounded in
//! size and checked against its SHA-256.

use anyhow::{Context as _, ensure};
use oci_client::manifest::OciDescriptor;
use tokio::io::AsyncWrite;

use super::bounded::copy;
use super::reference::parse_digest;
use super::session::Registry;

/// The default of `--max-size`: 256 MiB. The largest component (or
/// compressed layer, or decompressed tar) `moat pull` takes: stops a
/// hostile registry or URL from filling the disk or memory with an endless
/// or enormous blob. An 18 MB Python component fits many times over.
pub const DEFAULT_MAX_SIZE: u64 = 256 << 20;

/// The largest signature payload or suggested manifest read: 64 KiB. A
/// cosign simple-signing payload is a few hundred bytes; the bound stops a
/// hostile registry from making moat hold a huge blob it only glances at.
pub const SMALL_BLOB: u64 = 64 << 10;

/// Streams the blob `descriptor` of the session's repository into `sink`: refused if
/// the descriptor declares more than `limit` bytes, if the registry sends
/// more or fewer bytes than declared, or if the bytes' SHA-256 is not the
/// descriptor's digest.
pub async fn blob(
    registry: &Registry,
    descriptor: &OciDescriptor,
    limit: u64,
    sink: &mut (impl AsyncWrite + Unpin),
) -> anyhow::Result<()> {
    let digest = parse_digest(&descriptor.digest)?;
    let size = u64::try_from(descriptor.size).unwrap_or(u64::MAX);
    ensure!(
        size <= limit,
        "the blob {digest} is {size} bytes, over the limit of {limit} bytes (--max-size)"
    );
    let reference = &registry.reference;
    let image = super::artifact::image(reference, &digest);
    // A descriptor's `urls` ("foreign layers") would have oci-client fetch
    // the blob from any host the manifest names: only the registry is asked.
    let descriptor = OciDescriptor {
        urls: None,
        ..descriptor.clone()
    };
    let stream = registry
        .client
        .pull_blob_stream(&image, &descriptor)
        .await
        .map_err(|error| super::fault::explain(&reference.registry, registry.credentials, error))
        .with_context(|| format!("cannot fetch the blob {digest}"))?;
    let got = copy(stream.stream, size, sink).await?;
    ensure!(
        got.len == size,
        "the blob {digest} ended after {} bytes, its descriptor says {size}",
        got.len
    );
    ensure!(
        got.digest == digest,
        "the blob's bytes have digest {}, not the {digest} its descriptor names: refused",
        got.digest
    );
    Ok(())
}
