//! Whom a request acts for, as a Cedar entity: `Moat::Identity::"<name>"`.

use std::collections::{HashMap, HashSet};

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};
use serde_json::{Map, Value};

use crate::claims;

/// How the caller was established: the `kind` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `"local"`: the stdio client, whoever started the server.
    Local,
    /// `"anonymous"`: an HTTP client on loopback with no credential.
    Anonymous,
    /// `"token"`: an HTTP client holding the shared bearer token.
    Token,
    /// `"oauth"`: an HTTP client with an OAuth access token.
    OAuth,
}

impl Kind {
    /// The `kind` attribute's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Anonymous => "anonymous",
            Self::Token => "token",
            Self::OAuth => "oauth",
        }
    }
}

/// What a policy knows of the caller. Built once per request; every
/// decision for that request (a whole list's filter) reuses it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub(crate) uid: EntityUid,
    pub(crate) entity: Entity,
}

/// The parts of a [`Principal`], as the transport established them.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The identity's stable name: the entity id.
    pub name: &'a str,
    /// How it was established.
    pub kind: Kind,
    /// The token's `sub`.
    pub subject: Option<&'a str>,
    /// The token's `iss`.
    pub issuer: Option<&'a str>,
    /// The OAuth client the token was issued to.
    pub client_id: Option<&'a str>,
    /// The scopes the token grants.
    pub scopes: &'a [String],
    /// The token's claims.
    pub claims: &'a Map<String, Value>,
}

impl Principal {
    /// The Cedar entity for `caller`: attributes `kind`, `scopes`, `claims`,
    /// and `subject`, `issuer`, `client_id` when known.
    pub fn new(caller: &Caller<'_>) -> Self {
        let uid = uid("Identity", caller.name);
        let string = |s: &str| RestrictedExpression::new_string(s.to_owned());
        let mut attrs = HashMap::from([
            ("kind".to_owned(), string(caller.kind.as_str())),
            (
                "scopes".to_owned(),
                RestrictedExpression::new_set(caller.scopes.iter().map(|s| string(s))),
            ),
            ("claims".to_owned(), claims::record(caller.claims)),
        ]);
        for (key, value) in [
            ("subject", caller.subject),
            ("issuer", caller.issuer),
            ("client_id", caller.client_id),
        ] {
            if let Some(value) = value {
                attrs.insert(key.to_owned(), string(value));
            }
        }
        // Every attribute is a literal: evaluating them cannot fail.
        let entity = Entity::new(uid.clone(), attrs, HashSet::new())
            .unwrap_or_else(|_| Entity::new_no_attrs(uid.clone(), HashSet::new()));
        Self { uid, entity }
    }
}

/// `Moat::<kind>::"<id>"`.
pub(crate) fn uid(kind: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name(kind), EntityId::new(id))
}

/// `Moat::<kind>`.
pub(crate) fn type_name(kind: &str) -> EntityTypeName {
    // Every caller passes one of the schema's type names.
    format!("Moat::{kind}")
        .parse()
        .unwrap_or_else(|error| panic!("Moat::{kind}: {error}"))
}
