//! Who a request acts for: the [`Identity`] every transport establishes
//! before a request reaches the protocol, which authorization, rate limits,
//! the audit log and the metrics read; and, with `serve --auth FILE`, the
//! OAuth 2.1 resource server that establishes it on HTTP ([`OAuth`]), per
//! the MCP authorization spec.
//!
//! Files: [`config`] (the `--auth` file), [`metadata`] (RFC 9728),
//! [`challenge`] (`WWW-Authenticate`), [`jwt`] (JWT access tokens),
//! [`jwks`] (the authorization servers' keys), [`introspect`] (RFC 7662),
//! [`fetch`] (bounded fetches), [`fault`] (why a request was refused).

use std::sync::Arc;

use axum::http::{HeaderMap, header};

pub mod challenge;
pub mod config;
pub mod fault;
mod fetch;
mod identity;
mod introspect;
mod jwks;
mod jwt;
pub mod metadata;

pub use self::challenge::Challenge;
pub use self::config::Config;
pub use self::fault::Fault;
pub use self::identity::{Identity, Kind};
use self::introspect::Introspector;
use self::jwt::Verifier;

/// The longest access token read, in bytes. Bounds the work (and the
/// claims kept) for one request; real tokens are a few kilobytes.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// The OAuth resource server: checks each request's access token.
pub struct OAuth {
    /// The configuration it checks against.
    pub config: Config,
    /// The challenges it answers with.
    pub challenge: Arc<Challenge>,
    verifier: Verifier,
    introspector: Option<Introspector>,
}

impl OAuth {
    /// Starts checking tokens per `config`: fetches the authorization
    /// servers' keys in the background (a server down now is retried).
    pub fn start(config: Config) -> anyhow::Result<Arc<Self>> {
        let http = fetch::client()?;
        let challenge = Arc::new(Challenge::new(metadata::url(&config), &config.scopes));
        let verifier = Verifier::start(&config, &http);
        let introspector = Introspector::new(&config, &http);
        Ok(Arc::new(OAuth {
            config,
            challenge,
            verifier,
            introspector,
        }))
    }

    /// The identity the request's `Authorization: Bearer TOKEN` proves.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, Fault> {
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Err(Fault::Missing(
                "this server requires an OAuth access token: `Authorization: Bearer TOKEN` (see the resource_metadata in WWW-Authenticate for where to get one)",
            ));
        };
        if values.next().is_some() {
            return Err(Fault::Malformed("more than one Authorization header"));
        }
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or(Fault::Malformed(
                "the Authorization header is not `Bearer TOKEN`",
            ))?;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Fault::invalid(format!(
                "the token is longer than the {MAX_TOKEN_BYTES} bytes accepted"
            )));
        }
        match &self.introspector {
            Some(introspector) if !Verifier::is_jwt(token) => introspector.verify(token).await,
            _ => self.verifier.verify(token).await,
        }
    }
}

#[cfg(test)]
mod tests;
