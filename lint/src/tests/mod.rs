//! Unit tests per rule (each with cases that must and must not be found),
//! and properties over any text.

mod clean;
mod hidden;
mod other_tools;
mod params;
mod phrases;
mod props;

use serde_json::json;

use crate::{Code, Finding, Item, Kind, Options, OtherTool, lint, shadowing};

/// A tool described by `description`, with no parameters.
fn tool(description: &str) -> Item {
    Item::new(Kind::Tool, "t")
        .name_text("name", "t")
        .prose("description", Some(description))
        .schema("inputSchema", &json!({"type": "object"}))
}

/// The codes `lint` finds in `items`.
fn codes(items: &[Item]) -> Vec<Code> {
    lint(items, &Options::default())
        .iter()
        .map(|f| f.code)
        .collect()
}

/// The findings of `code` in `items`.
fn found(items: &[Item], code: Code) -> Vec<Finding> {
    lint(items, &Options::default())
        .into_iter()
        .filter(|f| f.code == code)
        .collect()
}

/// The other-plugin tools `names` of plugin `other`.
fn others(names: &[&str]) -> Vec<OtherTool> {
    names
        .iter()
        .map(|name| OtherTool {
            name: (*name).into(),
            plugin: "other".into(),
        })
        .collect()
}

#[test]
fn every_code_round_trips_and_has_its_severity() {
    for code in Code::ALL {
        assert_eq!(code.as_str().parse::<Code>(), Ok(code));
    }
    assert_eq!(Code::ALL.len(), 9);
    assert!("MOAT-L010".parse::<Code>().is_err());
    assert_eq!(Code::Pushy.severity(), crate::Severity::Warning);
    assert_eq!(Code::ExfilParameter.severity(), crate::Severity::Error);
    let _ = shadowing(&[], &[]);
}
