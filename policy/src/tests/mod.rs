//! Unit and property tests of the policy crate.

use serde_json::{Map, Value, json};

use crate::{Caller, Kind, Policy, Principal, Target};

mod claims;
mod decide;
mod parse;
mod props;

/// Parses `text`, panicking with Cedar's message if it is refused.
fn policy(text: &str) -> Policy {
    Policy::parse(text, "test.cedar").unwrap_or_else(|e| panic!("{e}"))
}

/// A principal of `kind` named `name`, with `scopes` and `claims`.
fn principal(name: &str, kind: Kind, scopes: &[&str], claims: Value) -> Principal {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let claims: Map<String, Value> = match claims {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    Principal::new(&Caller {
        name,
        kind,
        subject: (kind == Kind::OAuth).then_some(name),
        issuer: (kind == Kind::OAuth).then_some("https://issuer.example"),
        client_id: None,
        scopes: &scopes,
        claims: &claims,
    })
}

fn local() -> Principal {
    principal("local", Kind::Local, &[], json!({}))
}

fn tool<'a>(name: &'a str, plugin: &'a str) -> Target<'a> {
    Target::Tool { name, plugin }
}
