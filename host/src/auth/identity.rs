//! [`Identity`]: whom a request acts for, as the transport established it.
//!
//! stdio serves the operator who started the process ([`Identity::local`]).
//! HTTP puts the identity it authenticated into the request's extensions
//! before rmcp sees the request; rmcp hands the request's parts on to the
//! handler, where [`Identity::of`] finds it again.

use std::sync::Arc;

use serde_json::{Map, Value};

/// How an identity was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The stdio client: whoever started `moat serve`.
    Local,
    /// An HTTP client on a loopback listener with no credential required.
    Anonymous,
    /// An HTTP client holding the one shared bearer token (`--token-file`).
    SharedToken,
    /// An HTTP client with an access token the authorization server issued.
    OAuth,
}

/// Whom a request acts for. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Identity {
    /// How it was established.
    pub kind: Kind,
    /// Its stable name in logs, the audit log, the metrics and session
    /// ownership: `local`, `anonymous`, `token`, or for an access token its
    /// `sub` (qualified by the issuer when several are trusted).
    pub name: Arc<str>,
    /// The access token's issuer (`iss`).
    pub issuer: Option<Arc<str>>,
    /// The access token's subject (`sub`).
    pub subject: Option<Arc<str>>,
    /// The OAuth client the token was issued to (`client_id`, else `azp`).
    pub client_id: Option<Arc<str>>,
    /// The scopes the token grants (`scope`, space-separated, or `scp`).
    pub scopes: Arc<[String]>,
    /// The token's validated claims, for policies that read them.
    pub claims: Arc<Map<String, Value>>,
}

impl Identity {
    fn plain(kind: Kind, name: &str) -> Self {
        Identity {
            kind,
            name: name.into(),
            issuer: None,
            subject: None,
            client_id: None,
            scopes: Arc::new([]),
            claims: Arc::default(),
        }
    }

    /// The stdio client: the operator who started the process.
    pub fn local() -> Self {
        Self::plain(Kind::Local, "local")
    }

    /// An HTTP client on a loopback listener that requires no credential.
    pub fn anonymous() -> Self {
        Self::plain(Kind::Anonymous, "anonymous")
    }

    /// An HTTP client holding the shared bearer token of `--token-file`.
    pub fn shared_token() -> Self {
        Self::plain(Kind::SharedToken, "token")
    }

    /// The identity of a request, from the extensions rmcp hands the
    /// handler: the one HTTP established, else (stdio) the local operator.
    pub fn of(extensions: &rmcp::model::Extensions) -> Self {
        extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Identity>())
            .cloned()
            .unwrap_or_else(Self::local)
    }

    /// The name of the identity of a request (see [`Identity::of`]),
    /// without copying it.
    pub fn name_of(extensions: &rmcp::model::Extensions) -> &str {
        extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Identity>())
            .map_or("local", |identity| &identity.name)
    }
}
