//! A fetched stream copied to where it goes, cut off at a limit and
//! hashed on the way.

use anyhow::{Context as _, bail};
use futures_util::{Stream, StreamExt as _};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::fault::chain;

/// What `copy` wrote.
pub struct Copied {
    /// How many bytes.
    pub len: u64,
    /// `sha256:HEX` of them.
    pub digest: String,
}

/// Copies `stream` into `sink`, refusing it as soon as it passes `limit`
/// bytes, and hashes what it copies.
pub async fn copy<E: std::error::Error + Send + Sync + 'static>(
    mut stream: impl Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    limit: u64,
    sink: &mut (impl AsyncWrite + Unpin),
) -> anyhow::Result<Copied> {
    let mut hasher = Sha256::new();
    let mut len: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| anyhow::anyhow!(chain(&error)))?;
        len += chunk.len() as u64;
        if len > limit {
            bail!("more than {limit} bytes sent (the limit): refused");
        }
        hasher.update(&chunk);
        sink.write_all(&chunk)
            .await
            .context("cannot write what was fetched")?;
    }
    sink.flush()
        .await
        .context("cannot write what was fetched")?;
    Ok(Copied {
        len,
        digest: format!("sha256:{:x}", hasher.finalize()),
    })
}
