//! [`Fault`]: why a request proves no identity, in words an operator can
//! act on (never the token itself).

/// Why a request was not authenticated.
#[derive(Debug)]
pub enum Fault {
    /// No token.
    Missing(&'static str),
    /// An `Authorization` header that is not one `Bearer TOKEN`.
    Malformed(&'static str),
    /// A token was presented and refused.
    Invalid(String),
    /// The token could not be checked: the authorization server (its keys,
    /// its introspection endpoint) cannot be reached.
    Unreachable(String),
}

impl Fault {
    /// A refused token, and why.
    pub fn invalid(why: impl Into<String>) -> Self {
        Fault::Invalid(why.into())
    }

    /// What the client is told.
    pub fn message(&self) -> &str {
        match self {
            Fault::Missing(why) | Fault::Malformed(why) => why,
            Fault::Invalid(why) | Fault::Unreachable(why) => why,
        }
    }
}

/// How long a value taken from a token may be when a message quotes it.
const MAX_SHOWN: usize = 100;

/// `text` (from a token: an issuer, a `kid`) fit to quote in a message:
/// debug-quoted, and cut short.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}
