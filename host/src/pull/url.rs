//! Fetching a component from a plain URL, its SHA-256 pinned in the
//! reference: HTTPS (system roots and `--ca-file`), plain HTTP only to a
//! loopback host with `--plain-http`, bounded by `--max-size`.

use anyhow::{Context as _, bail, ensure};
use tokio::io::AsyncWrite;

use super::bounded::copy;
use super::fault::chain;
use super::reference::UrlReference;
use super::registry::{Connection, allowed};

/// Fetches `reference` into `sink`: refused if its bytes pass `limit` or
/// their SHA-256 is not the pinned one.
pub async fn fetch(
    reference: &UrlReference,
    connection: &Connection,
    limit: u64,
    sink: &mut (impl AsyncWrite + Unpin),
) -> anyhow::Result<()> {
    if !allowed(&reference.url, connection.plain_http) {
        bail!(
            "plain http:// is allowed only to a loopback host (127.0.0.0/8, ::1, localhost), and only with --plain-http"
        );
    }
    let client = connection.http()?;
    let host = match reference.url.port() {
        Some(port) => format!("{}:{port}", reference.url.host_str().unwrap_or_default()),
        None => reference.url.host_str().unwrap_or_default().to_owned(),
    };
    let response = client
        .get(reference.url.clone())
        .send()
        .await
        .map_err(|error| anyhow::anyhow!("cannot reach {host}: {}", chain(&error)))?;
    let status = response.status();
    ensure!(status.is_success(), "{host} answered {status}");
    if let Some(length) = response.content_length() {
        ensure!(
            length <= limit,
            "the component is {length} bytes, over the limit of {limit} bytes (--max-size): refused"
        );
    }
    let got = copy(response.bytes_stream(), limit, sink)
        .await
        .with_context(|| format!("cannot fetch {}", reference.url))?;
    ensure!(
        got.digest == reference.digest,
        "the bytes fetched have digest {}, not the pinned {}: refused",
        got.digest,
        reference.digest
    );
    Ok(())
}
