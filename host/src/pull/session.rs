//! One registry session: oci-client for authentication and blobs, and
//! manifests (and referrers indexes) read here, bounded, because
//! oci-client reads a manifest's whole body, however large, into memory.

use anyhow::{anyhow, bail};
use oci_client::RegistryOperation;
use oci_client::secrets::RegistryAuth;
use reqwest::StatusCode;
use sha2::{Digest as _, Sha256};

use super::bounded::copy;
use super::fault::{Credentials, chain, explain, unreachable};
use super::reference::OciReference;

/// The largest manifest, image index or referrers index read: 4 MiB, the
/// size the OCI distribution spec asks registries to accept. Stops a
/// hostile registry from exhausting `moat pull`'s memory with an endless
/// manifest (a real one is a few KiB).
pub const MAX_MANIFEST: u64 = 4 << 20;

/// A session with one registry, for one reference's repository.
pub struct Registry {
    /// oci-client: the token dance, and blobs (streamed, so bounded here).
    pub client: oci_client::Client,
    /// The plain client manifests are read with.
    pub(super) http: reqwest::Client,
    /// The credentials, from `--registry-token-file` or the docker config.
    pub auth: RegistryAuth,
    /// Where [`Self::auth`] came from, for an error to name.
    pub credentials: Credentials,
    /// `SCHEME://REGISTRY/v2/REPO`.
    pub(super) base: String,
    /// The reference this session is for.
    pub reference: OciReference,
    /// The bearer token for the repository, once asked for.
    pub(super) token: tokio::sync::OnceCell<Option<String>>,
}

impl Registry {
    /// The manifest at `target` (a tag or a digest), its bytes and their
    /// digest (computed here); `None` if the registry has none (404).
    pub async fn manifest(
        &self,
        target: &str,
        accept: &[&str],
    ) -> anyhow::Result<Option<(bytes::Bytes, String)>> {
        let url = format!("{}/manifests/{target}", self.base);
        let Some((bytes, said)) = self.get(&url, accept).await? else {
            return Ok(None);
        };
        let digest = format!("sha256:{:x}", Sha256::digest(&bytes));
        if let Some(said) = said
            && said != digest
        {
            bail!(
                "the registry says the manifest {target} is {said}, but its bytes have digest {digest}: refused"
            );
        }
        Ok(Some((bytes, digest)))
    }

    /// The entries of the referrers index of `digest` of `artifact_type` (the
    /// OCI 1.1 API), or, where the registry lacks it (404), the index under
    /// the tag `sha256-HEX` (the referrers tag schema), filtered here.
    pub async fn referrers(
        &self,
        digest: &str,
        artifact_type: &str,
    ) -> anyhow::Result<Vec<oci_client::manifest::ImageIndexEntry>> {
        const INDEX: &str = oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE;
        let url = format!(
            "{}/referrers/{digest}?artifactType={}",
            self.base,
            artifact_type.replace('+', "%2B")
        );
        let bytes = match self.get(&url, &[INDEX]).await? {
            Some((bytes, _)) => bytes,
            None => match self.manifest(&digest.replace(':', "-"), &[INDEX]).await? {
                Some((bytes, _)) => bytes,
                None => return Ok(Vec::new()),
            },
        };
        let mut index: oci_client::manifest::OciImageIndex = serde_json::from_slice(&bytes)
            .map_err(|error| anyhow!("the referrers index is not an image index: {error}"))?;
        index
            .manifests
            .retain(|entry| entry.artifact_type.as_deref() == Some(artifact_type));
        Ok(index.manifests)
    }

    /// GETs `url` with the session's credentials; at most
    /// [`MAX_MANIFEST`] bytes of body, with the `Docker-Content-Digest` the
    /// registry sent. `None` on 404.
    async fn get(
        &self,
        url: &str,
        accept: &[&str],
    ) -> anyhow::Result<Option<(bytes::Bytes, Option<String>)>> {
        let registry = &self.reference.registry;
        let token = self
            .token
            .get_or_try_init(|| async {
                let repository = oci_client::Reference::with_tag(
                    registry.clone(),
                    self.reference.repository.clone(),
                    "latest".into(),
                );
                self.client
                    .auth(&repository, &self.auth, RegistryOperation::Pull)
                    .await
                    .map_err(|error| explain(registry, self.credentials, error))
            })
            .await?
            .clone();
        let mut request = self.http.get(url).header("Accept", accept.join(", "));
        request = match (token, &self.auth) {
            (Some(token), _) => request.bearer_auth(token),
            (None, RegistryAuth::Basic(user, password)) => request.basic_auth(user, Some(password)),
            (None, _) => request,
        };
        let response = request.send().await.map_err(|error| {
            if error.is_connect() || error.is_timeout() {
                unreachable(registry, &error)
            } else {
                anyhow!("{url}: {}", chain(&error))
            }
        })?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            bail!(
                "{registry} refused access ({status} for {url}): {}",
                self.credentials.advice()
            );
        }
        if !status.is_success() {
            bail!("{registry} answered {status} for {url}");
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_MANIFEST)
        {
            bail!("{url} is over {MAX_MANIFEST} bytes, the largest manifest read: refused");
        }
        let said = response
            .headers()
            .get("Docker-Content-Digest")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        copy(response.bytes_stream(), MAX_MANIFEST, &mut body)
            .await
            .map_err(|error| anyhow!("{url}: {error:#} (the largest manifest read)"))?;
        Ok(Some((body.into(), said)))
    }
}
