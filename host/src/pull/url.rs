//! Fetching a component from a plain URL, its SHA-256 pinned in the
//! reference: HTTPS (system roots and `--ca-file`), plain HTTP only to a
//! loopback host with `--plain-http`, bounded by `--max-size`.

use anyhow::{Context as _, bail, ensure};
use tokio::io::AsyncWrite;

use super::download::copy;
use super::reference::{UrlReference, is_loopback};
use super::registry::{CONNECT_TIMEOUT, Connection, READ_TIMEOUT, chain};

/// The most redirects a URL pull follows: 5. Stops a redirect loop, and
/// every redirect must keep to HTTPS (or, with `--plain-http`, to a
/// loopback host), so a redirect cannot downgrade the fetch.
pub const MAX_REDIRECTS: usize = 5;

/// Fetches `reference` into `sink`: refused if its bytes pass `limit` or
/// their SHA-256 is not the pinned one.
pub async fn fetch(
    reference: &UrlReference,
    connection: &Connection,
    limit: u64,
    sink: &mut (impl AsyncWrite + Unpin),
) -> anyhow::Result<()> {
    let plain_http = connection.plain_http;
    if !allowed(&reference.url, plain_http) {
        bail!(
            "plain http:// is allowed only to a loopback host (127.0.0.0/8, ::1, localhost), and only with --plain-http"
        );
    }
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if !allowed(attempt.url(), plain_http) {
            attempt.error("a redirect to plain http:// off loopback (refused)")
        } else {
            attempt.follow()
        }
    });
    let mut builder = reqwest::Client::builder()
        .redirect(policy)
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .https_only(!plain_http);
    for root in connection.extra_roots()? {
        builder = builder.add_root_certificate(root);
    }
    let client = builder.build().context("cannot set up HTTPS")?;
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

/// Whether `url` may be fetched: HTTPS, or plain HTTP to loopback with
/// `--plain-http`.
fn allowed(url: &url::Url, plain_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => plain_http && url.host().is_some_and(|host| is_loopback(&host)),
        _ => false,
    }
}
