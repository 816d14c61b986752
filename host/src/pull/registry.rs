//! The connection to an OCI registry: TLS (the system's roots and an
//! operator's extra CA), plain HTTP only to a loopback registry and only
//! when asked, credentials from the usual places, and timeouts.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use super::fault::Credentials;
use super::reference::{OciReference, is_loopback};
pub use super::session::Registry;

/// How long connecting to a registry (or a URL's host) may take.
/// Default 10 s. Stops a black-holed address from hanging `moat pull`
/// (and an init container) forever; "cannot reach" is reported instead.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a registry may send nothing in the middle of a response.
/// Default 30 s. Stops a registry that opens a response and then stalls
/// (slowloris) from holding the pull open forever.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The most redirects a fetch follows: 5. Stops a redirect loop; every
/// redirect must keep to HTTPS (or, with `--plain-http`, to a loopback
/// host), so a redirect cannot downgrade the fetch.
pub const MAX_REDIRECTS: usize = 5;

/// How the host reaches registries, from `moat pull`'s flags.
pub struct Connection {
    /// `--plain-http`: plain HTTP to a loopback registry.
    pub plain_http: bool,
    /// `--ca-file`: PEM certificates trusted beside the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// `--registry-token-file`: a bearer token for every registry.
    pub token: Option<String>,
}

impl Connection {
    /// Reads `--ca-file` and `--registry-token-file`.
    pub fn new(
        plain_http: bool,
        ca_file: Option<&Path>,
        token_file: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let ca_pem = ca_file
            .map(|file| {
                std::fs::read(file)
                    .with_context(|| format!("cannot read --ca-file {}", file.display()))
            })
            .transpose()?;
        let token = token_file
            .map(|file| {
                std::fs::read_to_string(file)
                    .with_context(|| {
                        format!("cannot read --registry-token-file {}", file.display())
                    })
                    .map(|token| token.trim().to_owned())
            })
            .transpose()?;
        Ok(Self {
            plain_http,
            ca_pem,
            token,
        })
    }

    /// The extra roots of `--ca-file`, for a reqwest client.
    pub fn extra_roots(&self) -> anyhow::Result<Vec<reqwest::Certificate>> {
        match &self.ca_pem {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem)
                .context("--ca-file holds no PEM certificate"),
            None => Ok(Vec::new()),
        }
    }

    /// A session with `reference`'s registry. Refuses, before connecting,
    /// plain HTTP to a registry that is not loopback.
    pub fn registry(&self, reference: &OciReference) -> anyhow::Result<Registry> {
        let (protocol, scheme) = match (self.plain_http, reference.is_loopback()) {
            (true, true) => (
                ClientProtocol::HttpsExcept(vec![reference.registry.clone()]),
                "http",
            ),
            (true, false) => bail!(
                "--plain-http reaches only a loopback registry (127.0.0.0/8, ::1, localhost), not {}",
                reference.registry
            ),
            (false, _) => (ClientProtocol::Https, "https"),
        };
        let extra_root_certificates = self
            .ca_pem
            .iter()
            .map(|pem| Certificate {
                encoding: CertificateEncoding::Pem,
                data: pem.clone(),
            })
            .collect();
        let (auth, credentials) = self.auth(&reference.registry);
        let client = oci_client::Client::new(ClientConfig {
            protocol,
            extra_root_certificates,
            // An image index is resolved by `artifact.rs`, never by guessing a platform.
            platform_resolver: None,
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            ..ClientConfig::default()
        });
        Ok(Registry {
            client,
            http: self.http()?,
            auth,
            credentials,
            base: format!(
                "{scheme}://{}/v2/{}",
                reference.registry, reference.repository
            ),
            reference: reference.clone(),
            token: tokio::sync::OnceCell::new(),
        })
    }

    /// An HTTP client with the timeouts, `--ca-file`'s roots, and redirects
    /// that keep to HTTPS (or, with `--plain-http`, to loopback).
    pub fn http(&self) -> anyhow::Result<reqwest::Client> {
        let plain_http = self.plain_http;
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
            .read_timeout(READ_TIMEOUT);
        for root in self.extra_roots()? {
            builder = builder.add_root_certificate(root);
        }
        builder.build().context("cannot set up HTTPS")
    }

    /// The credentials for `registry`: the token file's bearer token, else
    /// the docker config's (`$DOCKER_CONFIG/config.json` or
    /// `~/.docker/config.json`, credential helpers included), else none;
    /// with where they came from, for an error to name.
    fn auth(&self, registry: &str) -> (RegistryAuth, Credentials) {
        if let Some(token) = &self.token {
            return (RegistryAuth::Bearer(token.clone()), Credentials::TokenFile);
        }
        match docker_credential::get_credential(registry) {
            Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => (
                RegistryAuth::Basic(user, password),
                Credentials::DockerConfig,
            ),
            Ok(docker_credential::DockerCredential::IdentityToken(token)) => {
                (RegistryAuth::Bearer(token), Credentials::DockerConfig)
            }
            Err(error) => {
                tracing::debug!(
                    "no docker credentials for {registry} ({error}); pulling anonymously"
                );
                (RegistryAuth::Anonymous, Credentials::None)
            }
        }
    }
}

/// Whether `url` may be fetched: HTTPS, or plain HTTP to loopback with
/// `--plain-http`.
pub fn allowed(url: &url::Url, plain_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => plain_http && url.host().is_some_and(|host| is_loopback(&host)),
        _ => false,
    }
}
