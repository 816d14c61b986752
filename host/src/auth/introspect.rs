//! [`Introspector`]: checks an opaque (non-JWT) access token by asking the
//! authorization server (RFC 7662), then holds its answer to the same rules
//! as a JWT's claims: active, trusted issuer, this resource's audience,
//! expiry and not-before with the leeway.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::config::{Config, IntrospectionConfig};
use super::fault::{Fault, shown};
use super::fetch::read_json;
use super::identity::Identity;
use super::jwt::identity;

/// Asks the introspection endpoint about tokens.
pub struct Introspector {
    config: IntrospectionConfig,
    http: reqwest::Client,
    resource: String,
    issuers: Vec<String>,
    leeway: u64,
}

impl Introspector {
    /// An introspector for `config`'s `[introspection]`, if it has one.
    pub fn new(config: &Config, http: &reqwest::Client) -> Option<Self> {
        Some(Introspector {
            config: config.introspection.clone()?,
            http: http.clone(),
            resource: config.resource_id.clone(),
            issuers: config.servers.iter().map(|s| s.issuer.clone()).collect(),
            leeway: config.leeway.as_secs(),
        })
    }

    /// The identity `token` proves, per the authorization server.
    pub async fn verify(&self, token: &str) -> Result<Identity, Fault> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let endpoint = &self.config.endpoint;
        let request = self
            .http
            .post(endpoint.clone())
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body);
        let answer: Map<String, Value> = read_json(request, endpoint)
            .await
            .map_err(|e| {
                Fault::Unreachable(format!(
                    "cannot reach the authorization server's introspection endpoint ({e:#}); try again shortly"
                ))
            })?
            .ok_or_else(|| {
                Fault::Unreachable(format!("the introspection endpoint {endpoint} answered 404"))
            })?;
        self.check(answer)
    }

    fn check(&self, claims: Map<String, Value>) -> Result<Identity, Fault> {
        if claims.get("active") != Some(&Value::Bool(true)) {
            return Err(Fault::invalid(
                "the authorization server says the token is not active (revoked, expired or unknown)",
            ));
        }
        let iss = match claims.get("iss") {
            Some(Value::String(iss)) if self.issuers.contains(iss) => iss.clone(),
            Some(Value::String(iss)) => {
                return Err(Fault::invalid(format!(
                    "the token's issuer {} is not trusted here",
                    shown(iss)
                )));
            }
            _ if self.issuers.len() == 1 => self.issuers[0].clone(),
            _ => return Err(Fault::invalid("the introspection answer names no `iss`")),
        };
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => *aud == self.resource,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&self.resource)),
            _ => false,
        };
        if !audience_ok {
            return Err(Fault::invalid(format!(
                "the token is not for this resource: its audience (`aud`) must include {} (RFC 8707)",
                self.resource
            )));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match claims.get("exp").and_then(Value::as_u64) {
            Some(exp) if exp.saturating_add(self.leeway) >= now => {}
            Some(_) => return Err(Fault::invalid("the token has expired: get a new one")),
            None => return Err(Fault::invalid("the introspection answer has no `exp`")),
        }
        if let Some(nbf) = claims.get("nbf").and_then(Value::as_u64)
            && nbf > now.saturating_add(self.leeway)
        {
            return Err(Fault::invalid(
                "the token is not valid yet (its `nbf` is in the future)",
            ));
        }
        // RFC 7662 makes `sub` optional; a client-credentials token's
        // subject is its client (as in the JWTs such servers issue).
        let mut claims = claims;
        if !claims.contains_key("sub")
            && let Some(client) = claims.get("client_id").cloned()
        {
            claims.insert("sub".into(), client);
        }
        identity(claims, &iss, self.issuers.len() > 1)
    }
}
