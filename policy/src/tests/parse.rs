//! Refused policy files: each problem named with its line and column.

use crate::Policy;

fn refused(text: &str) -> crate::PolicyError {
    match Policy::parse(text, "p.cedar") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(error) => error,
    }
}

#[test]
fn a_syntax_error_names_its_line_and_column() {
    let error =
        refused("permit(principal, action, resource);\n\npermit(principal action, resource);\n");
    let (line, _) = error.problems[0].position.expect("a position");
    assert_eq!(line, 3, "{error}");
    assert!(error.to_string().starts_with("p.cedar:3:"), "{error}");
}

#[test]
fn a_misspelt_attribute_is_an_error_not_a_silent_deny() {
    let error =
        refused("permit(principal, action, resource)\n  when { principal.kidn == \"local\" };\n");
    assert_eq!(error.problems[0].position.map(|p| p.0), Some(2), "{error}");
    assert!(error.to_string().contains("kidn"), "{error}");
}

#[test]
fn a_misspelt_action_or_entity_type_is_an_error() {
    let error = refused("permit(principal, action == Moat::Action::\"call_tools\", resource);");
    assert!(error.to_string().contains("call_tools"), "{error}");
    let error = refused("permit(principal, action, resource in Moat::Plugn::\"math\");");
    assert!(error.to_string().contains("Plugn"), "{error}");
}

#[test]
fn an_attribute_of_the_wrong_type_is_an_error() {
    let error = refused("permit(principal, action, resource) when { principal.scopes == \"a\" };");
    assert_eq!(error.problems[0].position.map(|p| p.0), Some(1), "{error}");
}

#[test]
fn claims_are_not_checked_by_the_schema() {
    let text = r#"
permit(principal, action, resource)
  when { principal.claims has groups && principal.claims.groups.contains("admin") };
permit(principal, action, resource)
  when { principal.claims has org && principal.claims.org.name == "acme" };
permit(principal, action, resource)
  when { principal.claims.email_verified == true };
"#;
    Policy::parse(text, "p.cedar").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn optional_attributes_need_has() {
    let error =
        refused("permit(principal, action, resource) when { principal.client_id == \"x\" };");
    assert!(error.to_string().contains("client_id"), "{error}");
    super::policy(
        "permit(principal, action, resource) when { principal has client_id && principal.client_id == \"x\" };",
    );
}

#[test]
fn templates_are_refused() {
    let error = refused("permit(principal == ?principal, action, resource);");
    assert!(error.to_string().contains("templates"), "{error}");
}

#[test]
fn scope_annotations_must_be_scopes_on_permits() {
    let error = refused("\n@scope(\"sc\u{f6}pe\")\npermit(principal, action, resource);");
    assert_eq!(error.problems[0].position.map(|p| p.0), Some(2), "{error}");
    let error = refused("@scope(\"\")\npermit(principal, action, resource);");
    assert!(error.to_string().contains("@scope"), "{error}");
    let error = refused("@scope(\"admin\")\nforbid(principal, action, resource);");
    assert!(error.to_string().contains("permit"), "{error}");
}

#[test]
fn every_problem_is_reported() {
    let error = refused(
        "permit(principal, action, resource) when { principal.a == 1 };\npermit(principal, action, resource) when { principal.b == 1 };\n",
    );
    assert_eq!(error.problems.len(), 2, "{error}");
    assert_eq!(error.to_string().lines().count(), 2, "{error}");
}

#[test]
fn positions_count_characters_not_bytes() {
    let error = refused("// é\n  permit(principal, action, resource) when { principal.x == 1 };");
    let (line, column) = error.problems[0].position.expect("a position");
    assert_eq!(line, 2, "{error}");
    assert!(column > 2, "{error}");
}
