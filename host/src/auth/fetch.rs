//! Bounded JSON fetches from an authorization server: metadata, key sets,
//! introspection answers.

use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::de::DeserializeOwned;
use url::Url;

use super::config::is_loopback;

/// The largest body read from an authorization server. Stops a hostile or
/// broken one (or whoever answers in its name) exhausting moat's memory.
pub const MAX_BODY: usize = 64 * 1024;

/// How long connecting to an authorization server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a whole fetch may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The client moat reaches authorization servers with: timeouts, no
/// redirects (an AS's endpoints are named in its metadata), system roots.
pub fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .build()
        .context("cannot set up HTTPS")
}

/// GETs `url` as JSON (`Ok(None)` for a 404).
pub async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
) -> anyhow::Result<Option<T>> {
    let request = http.get(url.clone()).header("accept", "application/json");
    read_json(request, url).await
}

/// Sends `request` to `url` and reads its answer as JSON, at most
/// [`MAX_BODY`] bytes of it (`Ok(None)` for a 404).
pub async fn read_json<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    url: &Url,
) -> anyhow::Result<Option<T>> {
    if url.scheme() != "https" && !(url.scheme() == "http" && is_loopback(url)) {
        bail!("{url} is not https (refused)");
    }
    let mut response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("reading {url}"))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            bail!("{url} answered more than {MAX_BODY} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    let value = serde_json::from_slice(&body)
        .with_context(|| format!("{url} did not answer the JSON expected"))?;
    Ok(Some(value))
}
