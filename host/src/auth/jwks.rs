//! [`KeySource`]: one authorization server's signing keys, discovered from
//! its metadata (RFC 8414, else OpenID Connect discovery), fetched at start
//! and refreshed in the background, and fetched again (at most once per
//! `jwks_refetch_interval`, one fetch shared by every waiting request) when
//! a token names a key moat does not have.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use super::config::{ServerConfig, secure_url};
use super::fetch::get_json;

/// How often the keys are fetched again while fetching works, so that a
/// key the authorization server withdrew stops verifying tokens.
const REFRESH_PERIOD: Duration = Duration::from_secs(300);

/// The first wait before fetching again after a failure; it doubles up to
/// the refetch interval.
const FIRST_RETRY: Duration = Duration::from_secs(1);

/// How many keys a token without a `kid` is tried against: bounds the
/// signature checks one forged token costs.
const MAX_CANDIDATES: usize = 4;

/// A verification key, and what it may verify.
pub struct Key {
    /// Its `kid`, if it has one.
    pub kid: Option<String>,
    /// The key, ready to verify with.
    pub decoding: DecodingKey,
    jwk: Jwk,
}

impl Key {
    /// Whether this key may verify a token signed with `alg`: its type
    /// (`kty`, and curve) belongs to `alg`, its own `alg` (if given) is
    /// `alg`, and it is not an encryption key. An `oct` (symmetric) key
    /// never verifies anything.
    fn verifies(&self, alg: Algorithm) -> bool {
        if self.jwk.common.public_key_use == Some(PublicKeyUse::Encryption) {
            return false;
        }
        if let Some(own) = self.jwk.common.key_algorithm
            && Algorithm::from_str(&own.to_string()).ok() != Some(alg)
        {
            return false;
        }
        use Algorithm::*;
        match &self.jwk.algorithm {
            AlgorithmParameters::RSA(_) => {
                matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512)
            }
            AlgorithmParameters::EllipticCurve(ec) => matches!(
                (&ec.curve, alg),
                (EllipticCurve::P256, ES256) | (EllipticCurve::P384, ES384)
            ),
            AlgorithmParameters::OctetKeyPair(okp) => {
                okp.curve == EllipticCurve::Ed25519 && alg == EdDSA
            }
            _ => false,
        }
    }
}

/// The keys held, as of one fetch.
#[derive(Default)]
struct Keys {
    /// Bumped by every fetch, so that a request that waited for one knows.
    generation: u64,
    keys: Vec<Arc<Key>>,
    /// Whether a fetch ever worked.
    fetched: bool,
    /// Why the last fetch failed, while none has worked.
    error: Option<String>,
}

/// Why no key was found for a token.
pub enum Missing {
    /// The key set has no key with this `kid` for this `alg`.
    Unknown,
    /// The key set could not be fetched at all yet.
    Unreachable(String),
}

/// One authorization server's keys.
pub struct KeySource {
    issuer: String,
    configured: Option<Url>,
    http: reqwest::Client,
    refetch_interval: Duration,
    keys: ArcSwap<Keys>,
    /// Held while fetching: the last attempt, and the discovered key set URL.
    fetching: Mutex<(Option<Instant>, Option<Url>)>,
}

#[derive(Deserialize)]
struct ServerMetadata {
    issuer: String,
    jwks_uri: Option<String>,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Value>,
}

impl KeySource {
    /// The keys of `server`, none fetched yet.
    pub fn new(server: &ServerConfig, http: reqwest::Client, refetch_interval: Duration) -> Self {
        KeySource {
            issuer: server.issuer.clone(),
            configured: server.jwks_uri.clone(),
            http,
            refetch_interval,
            keys: ArcSwap::default(),
            fetching: Mutex::new((None, None)),
        }
    }

    /// Fetches the keys now, and again every few minutes; after a failure,
    /// again after 1 s, 2 s, … up to the refetch interval. Runs until the
    /// process ends.
    pub fn spawn_refresh(self: &Arc<Self>) {
        let source = self.clone();
        tokio::spawn(async move {
            let mut retry = FIRST_RETRY;
            loop {
                let worked = {
                    let mut fetching = source.fetching.lock().await;
                    source.fetch_locked(&mut fetching).await
                };
                if worked {
                    retry = FIRST_RETRY;
                    tokio::time::sleep(REFRESH_PERIOD).await;
                } else {
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(source.refetch_interval);
                }
            }
        });
    }

    /// The keys that may verify a token with `kid` and `alg`, fetching the
    /// key set again if none is known (rate-limited, shared).
    pub async fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<Vec<Arc<Key>>, Missing> {
        let keys = self.keys.load_full();
        let found = candidates(&keys, kid, alg);
        if !found.is_empty() {
            return Ok(found);
        }
        self.refetch(keys.generation).await;
        let keys = self.keys.load_full();
        let found = candidates(&keys, kid, alg);
        match (found.is_empty(), keys.fetched) {
            (false, _) => Ok(found),
            (true, true) => Err(Missing::Unknown),
            (true, false) => Err(Missing::Unreachable(
                keys.error
                    .clone()
                    .unwrap_or_else(|| "not fetched yet".into()),
            )),
        }
    }

    /// Fetches again unless another request did while this one waited, or
    /// the last attempt was less than the refetch interval ago.
    async fn refetch(&self, seen: u64) {
        let mut fetching = self.fetching.lock().await;
        if self.keys.load().generation != seen {
            return;
        }
        if fetching
            .0
            .is_some_and(|last| last.elapsed() < self.refetch_interval)
        {
            return;
        }
        self.fetch_locked(&mut fetching).await;
    }

    /// One fetch; stores what it got (or why it failed). Whether it worked.
    async fn fetch_locked(&self, fetching: &mut (Option<Instant>, Option<Url>)) -> bool {
        fetching.0 = Some(Instant::now());
        let current = self.keys.load_full();
        let outcome = self.fetch(&mut fetching.1).await;
        let next = match outcome {
            Ok(keys) => {
                tracing::info!(issuer = %self.issuer, "fetched {} signing key(s)", keys.len());
                Keys {
                    generation: current.generation + 1,
                    keys,
                    fetched: true,
                    error: None,
                }
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(issuer = %self.issuer, "cannot fetch the authorization server's keys: {error}");
                Keys {
                    generation: current.generation + 1,
                    keys: current.keys.clone(),
                    fetched: current.fetched,
                    error: Some(error),
                }
            }
        };
        let worked = next.error.is_none();
        self.keys.store(Arc::new(next));
        worked
    }

    async fn fetch(&self, discovered: &mut Option<Url>) -> anyhow::Result<Vec<Arc<Key>>> {
        let url = match (&self.configured, &*discovered) {
            (Some(url), _) | (None, Some(url)) => url.clone(),
            (None, None) => {
                let url = self.discover().await?;
                *discovered = Some(url.clone());
                url
            }
        };
        let set: KeySet = get_json(&self.http, &url)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{url} answered 404"))?;
        let keys: Vec<Arc<Key>> = set
            .keys
            .into_iter()
            .filter_map(|value| {
                let jwk: Jwk = serde_json::from_value(value).ok()?;
                let decoding = DecodingKey::from_jwk(&jwk).ok()?;
                let kid = jwk.common.key_id.clone();
                Some(Arc::new(Key { kid, decoding, jwk }))
            })
            .collect();
        if keys.is_empty() {
            anyhow::bail!("{url} holds no signing key moat can use");
        }
        Ok(keys)
    }

    /// The key set's URL, from the authorization server's metadata.
    async fn discover(&self) -> anyhow::Result<Url> {
        let mut last = anyhow::anyhow!("no metadata found");
        for url in metadata_urls(&self.issuer)? {
            match get_json::<ServerMetadata>(&self.http, &url).await {
                Ok(Some(metadata)) => {
                    if metadata.issuer != self.issuer {
                        anyhow::bail!(
                            "{url} names the issuer {:?}, not {:?} (RFC 8414 §3.3: refused)",
                            metadata.issuer,
                            self.issuer
                        );
                    }
                    let jwks = metadata
                        .jwks_uri
                        .ok_or_else(|| anyhow::anyhow!("{url} names no jwks_uri"))?;
                    let jwks = Url::parse(&jwks)?;
                    secure_url("jwks_uri", &jwks)?;
                    return Ok(jwks);
                }
                Ok(None) => last = anyhow::anyhow!("{url} answered 404"),
                Err(error) => last = error,
            }
        }
        Err(last)
    }
}

/// Where an issuer's metadata may be (the MCP authorization spec's order):
/// RFC 8414 with the well-known path inserted before the issuer's path;
/// OpenID Connect discovery inserted likewise, and appended to the issuer.
pub(super) fn metadata_urls(issuer: &str) -> anyhow::Result<Vec<Url>> {
    let base = Url::parse(issuer)?;
    let path = base.path().trim_end_matches('/').to_owned();
    let mut urls = Vec::new();
    for well_known in ["oauth-authorization-server", "openid-configuration"] {
        let mut url = base.clone();
        url.set_path(&format!("/.well-known/{well_known}{path}"));
        urls.push(url);
    }
    if !path.is_empty() {
        let mut url = base.clone();
        url.set_path(&format!("{path}/.well-known/openid-configuration"));
        urls.push(url);
    }
    Ok(urls)
}

fn candidates(keys: &Keys, kid: Option<&str>, alg: Algorithm) -> Vec<Arc<Key>> {
    keys.keys
        .iter()
        .filter(|key| kid.is_none() || key.kid.as_deref() == kid)
        .filter(|key| key.verifies(alg))
        .take(MAX_CANDIDATES)
        .cloned()
        .collect()
}
