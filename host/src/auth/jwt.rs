//! [`Verifier`]: checks a JWT access token (RFC 9068) against the trusted
//! authorization servers' keys with `jsonwebtoken`: algorithm allow-list,
//! key type matching the algorithm, issuer, audience (RFC 8707), expiry and
//! not-before with a bounded skew, and `typ`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::{Config, ServerConfig};
use super::fault::{Fault, shown};
use super::identity::{Identity, Kind};
use super::jwks::{KeySource, Missing};

/// A trusted authorization server and its keys.
struct Trusted {
    config: ServerConfig,
    keys: Arc<KeySource>,
}

/// Checks JWT access tokens.
pub struct Verifier {
    servers: Vec<Trusted>,
    resource: String,
    leeway: u64,
}

#[derive(Deserialize)]
struct Header {
    alg: Option<Value>,
    kid: Option<Value>,
    typ: Option<Value>,
}

#[derive(Deserialize)]
struct Unverified {
    iss: Option<Value>,
}

impl Verifier {
    /// A verifier for `config`'s servers, fetching their keys with `http`.
    /// Starts fetching them in the background.
    pub fn start(config: &Config, http: &reqwest::Client) -> Self {
        let servers = config
            .servers
            .iter()
            .map(|server| {
                let keys = Arc::new(KeySource::new(
                    server,
                    http.clone(),
                    config.refetch_interval,
                ));
                keys.spawn_refresh();
                Trusted {
                    config: server.clone(),
                    keys,
                }
            })
            .collect();
        Verifier {
            servers,
            resource: config.resource_id.clone(),
            leeway: config.leeway.as_secs(),
        }
    }

    /// Whether `token` has a JWT's shape (three base64url parts whose
    /// first is a JSON object).
    pub fn is_jwt(token: &str) -> bool {
        header(token).is_ok()
    }

    /// The identity `token` proves, or why it proves none.
    pub async fn verify(&self, token: &str) -> Result<Identity, Fault> {
        let header = header(token)?;
        let alg = match header.alg {
            Some(Value::String(alg)) => alg,
            _ => return Err(Fault::invalid("the token's header has no `alg`")),
        };
        if alg.eq_ignore_ascii_case("none") {
            return Err(Fault::invalid(
                "the token is unsigned (`alg: none`): only tokens signed by a trusted authorization server are accepted",
            ));
        }
        if let Some(typ) = header.typ {
            let ok = typ.as_str().is_some_and(|t| {
                ["at+jwt", "application/at+jwt", "jwt"].contains(&t.to_ascii_lowercase().as_str())
            });
            if !ok {
                return Err(Fault::invalid(format!(
                    "the token's `typ` is {}, not `at+jwt` (RFC 9068): it is not an access token",
                    shown(&typ.to_string())
                )));
            }
        }
        let kid = match header.kid {
            None => None,
            Some(Value::String(kid)) => Some(kid),
            Some(_) => return Err(Fault::invalid("the token's `kid` is not a string")),
        };
        let unverified: Unverified = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| Fault::invalid("the token's claims are not a JSON object"))?;
        let Some(Value::String(iss)) = unverified.iss else {
            return Err(Fault::invalid("the token has no `iss` (issuer) claim"));
        };
        let Some(server) = self.servers.iter().find(|s| s.config.issuer == iss) else {
            let trusted: Vec<&str> = self
                .servers
                .iter()
                .map(|s| s.config.issuer.as_str())
                .collect();
            return Err(Fault::invalid(format!(
                "the token's issuer {} is not trusted here (trusted: {})",
                shown(&iss),
                trusted.join(", ")
            )));
        };
        let algorithm = alg
            .parse::<Algorithm>()
            .ok()
            .filter(|a| server.config.algorithms.contains(a))
            .ok_or_else(|| {
                let symmetric = if alg.to_ascii_uppercase().starts_with("HS") {
                    " (a symmetric algorithm: anyone holding the authorization server's public key could make such a token)"
                } else {
                    ""
                };
                let accepted: Vec<String> =
                    server.config.algorithms.iter().map(|a| format!("{a:?}")).collect();
                Fault::invalid(format!(
                    "the token's algorithm {}{symmetric} is not accepted from {iss} (accepted: {})",
                    shown(&alg),
                    accepted.join(", ")
                ))
            })?;
        let keys = server.keys.find(kid.as_deref(), algorithm).await.map_err(|missing| match missing {
            Missing::Unknown => Fault::invalid(format!(
                "no key {} for {alg} in the key set of {iss}, even after fetching it again: the token was signed by a key that authorization server does not publish",
                kid.as_deref().map(shown).unwrap_or_else(|| "without a kid".into())
            )),
            Missing::Unreachable(error) => Fault::Unreachable(format!(
                "cannot reach the authorization server {iss} to fetch its signing keys ({error}); moat retries in the background, try again shortly"
            )),
        })?;
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&iss]);
        validation.set_audience(&[&self.resource]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let mut last = ErrorKind::InvalidSignature;
        for key in keys {
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.decoding, &validation) {
                Ok(data) => return identity(data.claims, &iss, self.servers.len() > 1),
                Err(error) => {
                    last = error.into_kind();
                    if last != ErrorKind::InvalidSignature {
                        break;
                    }
                }
            }
        }
        Err(self.describe(&last, &iss))
    }

    fn describe(&self, error: &ErrorKind, iss: &str) -> Fault {
        let leeway = self.leeway;
        Fault::invalid(match error {
            ErrorKind::ExpiredSignature => format!(
                "the token has expired (its `exp` is past, beyond the {leeway}s leeway): get a new one"
            ),
            ErrorKind::ImmatureSignature => format!(
                "the token is not valid yet (its `nbf` is in the future, beyond the {leeway}s leeway)"
            ),
            ErrorKind::InvalidAudience => format!(
                "the token is not for this resource: its audience (`aud`) must include {} (RFC 8707)",
                self.resource
            ),
            ErrorKind::InvalidIssuer => format!("the token's issuer is not {iss}"),
            ErrorKind::InvalidSignature => format!(
                "the token's signature does not verify with {iss}'s keys: it was not signed by that authorization server"
            ),
            ErrorKind::MissingRequiredClaim(claim) => {
                format!("the token has no `{claim}` claim")
            }
            ErrorKind::InvalidAlgorithm => {
                "the token's algorithm does not match its key's type".to_owned()
            }
            ErrorKind::InvalidClaimFormat(claim) => {
                format!("the token's `{claim}` claim has the wrong type")
            }
            _ => "the token is malformed".to_owned(),
        })
    }
}

/// The token's header, if it has a JWT's shape.
fn header(token: &str) -> Result<Header, Fault> {
    let malformed = || Fault::invalid("the token is not a JWT (three base64url parts)");
    let mut parts = token.split('.');
    let (Some(first), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed());
    };
    let bytes = URL_SAFE_NO_PAD.decode(first).map_err(|_| malformed())?;
    serde_json::from_slice(&bytes).map_err(|_| malformed())
}

/// The identity validated `claims` (from `iss`) name: `sub`, qualified by
/// the issuer when several are trusted.
pub fn identity(claims: Map<String, Value>, iss: &str, qualify: bool) -> Result<Identity, Fault> {
    let Some(Value::String(sub)) = claims.get("sub") else {
        return Err(Fault::invalid("the token has no `sub` (subject) claim"));
    };
    let sub = sub.clone();
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(Arc::<str>::from)
    };
    let client_id = text("client_id").or_else(|| text("azp"));
    let scopes: Vec<String> = match (claims.get("scope"), claims.get("scp")) {
        (Some(Value::String(scope)), _) => scope.split_whitespace().map(str::to_owned).collect(),
        (_, Some(Value::Array(scp))) => scp
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        (_, Some(Value::String(scp))) => scp.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let name = if qualify {
        format!("{iss}#{sub}")
    } else {
        sub.clone()
    };
    Ok(Identity {
        kind: Kind::OAuth,
        name: name.into(),
        issuer: Some(iss.into()),
        subject: Some(sub.into()),
        client_id,
        scopes: scopes.into(),
        claims: Arc::new(claims),
    })
}
