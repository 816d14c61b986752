//! The Cedar schema every policy file is validated against at load, so that
//! a misspelt attribute, entity type or action is an error naming its line
//! rather than a policy that silently never applies.

use std::str::FromStr as _;

use cedar_policy::Schema;

/// The schema, in Cedar's schema syntax. `claims` is declared as an empty
/// record because a token's claims are not known in advance: accesses
/// under `principal.claims` are the one thing the validator cannot check
/// (see [`crate::Policy::parse`]); every other attribute is checked.
pub const SCHEMA: &str = r#"
namespace Moat {
  entity Plugin;
  entity Identity = {
    "kind": String,
    "subject"?: String,
    "issuer"?: String,
    "client_id"?: String,
    "scopes": Set<String>,
    "claims": {},
  };
  entity Tool in [Plugin] = { "name": String };
  entity Resource in [Plugin] = { "uri": String };
  entity Prompt in [Plugin] = { "name": String };
  action "call_tool" appliesTo { principal: [Identity], resource: [Tool] };
  action "read_resource" appliesTo { principal: [Identity], resource: [Resource] };
  action "get_prompt" appliesTo { principal: [Identity], resource: [Prompt] };
}
"#;

/// The parsed schema.
pub fn schema() -> Schema {
    // The schema is a constant the unit tests parse: it cannot fail here.
    Schema::from_str(SCHEMA).unwrap_or_else(|error| panic!("the built-in schema: {error}"))
}
