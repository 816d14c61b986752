//! Who may use what: per-identity authorization over a moat host's tools,
//! resources and prompts, as [Cedar](https://www.cedarpolicy.com) policies.
//!
//! The model (documented for operators in `docs/operators.md`,
//! "Authorization policy"):
//!
//! - principal `Moat::Identity::"<name>"` with `kind` (`"local"`,
//!   `"anonymous"`, `"token"`, `"oauth"`), `scopes` (a set), `claims` (a
//!   record of the token's claims; see [`claims`]), and `subject`, `issuer`,
//!   `client_id` when known (test with `has`);
//! - resources `Moat::Tool::"<served name>"` (attribute `name`),
//!   `Moat::Resource::"<uri or template>"` (`uri`), `Moat::Prompt::"<name>"`
//!   (`name`), each in `Moat::Plugin::"<plugin>"`;
//! - actions `Moat::Action::"call_tool"`, `"read_resource"`, `"get_prompt"`.
//!
//! Deny by default: nothing is allowed unless a `permit` applies, and a
//! `forbid` that applies overrides every `permit`. `@scope("a b")` on a
//! `permit` names the OAuth scopes that would grant it, for the 403's
//! `scope=` ([`Decision::scopes`]).
//!
//! Pure: no I/O, no async. The host parses a file with [`Policy::parse`],
//! builds one [`Principal`] per request and asks [`Policy::decide`] per item.

pub mod claims;
mod error;
mod policy;
mod principal;
mod schema;
mod target;

pub use self::error::{PolicyError, Problem};
pub use self::policy::{Decision, Policy};
pub use self::principal::{Caller, Kind, Principal};
pub use self::schema::SCHEMA;
pub use self::target::{Action, Target};

#[cfg(test)]
mod tests;
