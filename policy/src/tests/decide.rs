//! Decisions: deny by default, permits by kind, scope, claim and plugin,
//! forbid over permit, and the scopes a refusal names.

use serde_json::json;

use super::{local, policy, principal, tool};
use crate::{Kind, Target};

const MODEL: &str = r#"
// Everyone may use the math plugin's tools.
@scope("mcp:math")
permit(principal, action == Moat::Action::"call_tool", resource in Moat::Plugin::"math");

// Admins (by scope) may use everything.
@scope("mcp:admin")
permit(principal, action, resource) when { principal.scopes.contains("mcp:admin") };

// Members of the ops group may read resources of the files plugin.
@scope("files:read mcp:admin")
permit(principal, action == Moat::Action::"read_resource", resource in Moat::Plugin::"files")
  when { principal.claims has groups && principal.claims.groups.contains("ops") };

// Nobody anonymous may call `divide`, whatever else says.
forbid(principal, action, resource == Moat::Tool::"divide")
  when { principal.kind == "anonymous" };

// The local operator may use prompts named like `local-*`.
permit(principal, action == Moat::Action::"get_prompt", resource)
  when { principal.kind == "local" && resource.name like "local-*" };
"#;

#[test]
fn an_empty_policy_denies_everything() {
    let empty = policy("");
    assert!(!empty.allows(&local(), &tool("add", "math")));
}

#[test]
fn permits_follow_the_plugin_hierarchy() {
    let p = policy(MODEL);
    let anyone = principal("anonymous", Kind::Anonymous, &[], json!({}));
    assert!(p.allows(&anyone, &tool("add", "math")));
    assert!(!p.allows(&anyone, &tool("fetch", "web")));
    let read = Target::Resource {
        uri: "math://pi",
        plugin: "math",
    };
    assert!(!p.allows(&anyone, &read), "math permits call_tool only");
}

#[test]
fn forbid_overrides_permit() {
    let p = policy(MODEL);
    let anyone = principal("anonymous", Kind::Anonymous, &["mcp:admin"], json!({}));
    assert!(!p.allows(&anyone, &tool("divide", "math")));
    assert!(p.allows(&anyone, &tool("fetch", "web")), "admin scope");
    assert!(p.allows(&local(), &tool("divide", "math")));
}

#[test]
fn claims_and_scopes_decide() {
    let p = policy(MODEL);
    let file = Target::Resource {
        uri: "file:///etc/motd",
        plugin: "files",
    };
    let ops = principal("alice", Kind::OAuth, &[], json!({"groups": ["dev", "ops"]}));
    let dev = principal("bob", Kind::OAuth, &[], json!({"groups": ["dev"]}));
    let none = principal("carol", Kind::OAuth, &[], json!({}));
    let wrong_type = principal("dave", Kind::OAuth, &[], json!({"groups": "ops"}));
    assert!(p.allows(&ops, &file));
    assert!(!p.allows(&dev, &file));
    assert!(!p.allows(&none, &file));
    assert!(
        !p.allows(&wrong_type, &file),
        "an erroring permit does not apply"
    );
}

#[test]
fn resource_attributes_can_be_matched() {
    let p = policy(MODEL);
    let prompt = |name| Target::Prompt {
        name,
        plugin: "prompts",
    };
    assert!(p.allows(&local(), &prompt("local-review")));
    assert!(!p.allows(&local(), &prompt("review")));
}

#[test]
fn a_refusal_names_the_scopes_of_the_permits_that_would_apply() {
    let p = policy(MODEL);
    let nobody = principal("eve", Kind::OAuth, &[], json!({}));
    let decision = p.decide(
        &nobody,
        &Target::Resource {
            uri: "file:///x",
            plugin: "files",
        },
    );
    assert!(!decision.allowed);
    assert_eq!(decision.scopes, ["mcp:admin", "files:read"]);
    let decision = p.decide(&nobody, &tool("fetch", "web"));
    assert_eq!(decision.scopes, ["mcp:admin"]);
    let anyone = principal("anonymous", Kind::Anonymous, &[], json!({}));
    let decision = p.decide(&anyone, &tool("divide", "math"));
    assert!(!decision.allowed);
    assert_eq!(decision.scopes, ["mcp:math", "mcp:admin"]);
    let allowed = p.decide(&anyone, &tool("add", "math"));
    assert!(allowed.allowed && allowed.scopes.is_empty());
}

#[test]
fn optional_attributes_are_present_only_when_known() {
    let p = policy(
        "permit(principal, action, resource) when { principal has issuer && principal.issuer == \"https://issuer.example\" };",
    );
    assert!(p.allows(
        &principal("alice", Kind::OAuth, &[], json!({})),
        &tool("a", "b")
    ));
    assert!(!p.allows(&local(), &tool("a", "b")));
}

#[test]
fn names_with_quotes_and_unicode_are_ids_not_syntax() {
    let p = policy("permit(principal, action, resource == Moat::Tool::\"a\\\"b\");");
    assert!(p.allows(&local(), &tool("a\"b", "x")));
    assert!(!p.allows(&local(), &tool("a", "x")));
    let odd = principal("\"; permit(", Kind::OAuth, &[], json!({}));
    assert!(!p.allows(&odd, &tool("zz", "x")));
}
