//! Checks what a plugin described at load against its [`ListingLimits`],
//! before anything of it is parsed, converted or indexed.
//!
//! Counts come first, so a plugin listing 100,000 tools is refused at once;
//! then each item's texts and schemas; then all its definitions together.

use crate::runtime::Described;
use crate::sandbox::limits::ListingLimits;

/// Bytes counted for each listed item (and each prompt argument) beside its
/// texts, so that many empty items still add up to the listing limit.
const ITEM_OVERHEAD: usize = 64;

/// What is over which limit, for the refusal's message.
#[derive(Debug)]
pub struct Over {
    /// e.g. `lists 100000 tools` or ``tool `t0` has a description of 10000000 bytes``.
    pub what: String,
    /// The limit's value, e.g. `1000` or `16384 bytes`.
    pub limit: String,
    /// The manifest key under `[limits]`, e.g. `max_tools`.
    pub key: &'static str,
}

/// Checks `described` against `limits`.
pub fn check(described: &Described, limits: &ListingLimits) -> Result<(), Over> {
    let counts = [
        (
            "tools",
            described.tools.len(),
            limits.max_tools,
            "max_tools",
        ),
        (
            "resources",
            described.resources.len(),
            limits.max_resources,
            "max_resources",
        ),
        (
            "resource templates",
            described.templates.len(),
            limits.max_templates,
            "max_templates",
        ),
        (
            "prompts",
            described.prompts.len(),
            limits.max_prompts,
            "max_prompts",
        ),
    ];
    for (kind, count, limit, key) in counts {
        if count > limit {
            return Err(Over {
                what: format!("it lists {count} {kind}"),
                limit: limit.to_string(),
                key,
            });
        }
    }
    let mut total = Total::new(limits);
    for tool in &described.tools {
        let item = Item::new("tool", &tool.name, limits);
        item.text("name", &tool.name)?;
        item.text("title", opt(&tool.title))?;
        item.text("description", &tool.description)?;
        item.schema("input schema", &tool.input_schema)?;
        item.schema("output schema", opt(&tool.output_schema))?;
        total.add(&[
            &tool.name,
            opt(&tool.title),
            &tool.description,
            &tool.input_schema,
        ])?;
        total.add(&[opt(&tool.output_schema)])?;
    }
    for r in &described.resources {
        let item = Item::new("resource", &r.uri, limits);
        let texts = [
            &r.uri,
            &r.name,
            opt(&r.title),
            opt(&r.description),
            opt(&r.mime_type),
        ];
        item.texts(&texts)?;
        total.add(&texts)?;
    }
    for t in &described.templates {
        let item = Item::new("resource template", &t.uri_template, limits);
        let texts = [
            &t.uri_template,
            &t.name,
            opt(&t.title),
            opt(&t.description),
            opt(&t.mime_type),
        ];
        item.texts(&texts)?;
        total.add(&texts)?;
    }
    for p in &described.prompts {
        let item = Item::new("prompt", &p.name, limits);
        let texts = [&p.name, opt(&p.title), opt(&p.description)];
        item.texts(&texts)?;
        total.add(&texts)?;
        for a in &p.arguments {
            let texts = [&a.name, opt(&a.title), opt(&a.description)];
            item.texts(&texts)?;
            total.add(&texts)?;
        }
    }
    Ok(())
}

/// The text of an optional field, empty if absent.
fn opt(text: &Option<String>) -> &str {
    text.as_deref().unwrap_or_default()
}

/// One listed item, for the per-item limits.
struct Item<'a> {
    kind: &'static str,
    name: &'a str,
    limits: &'a ListingLimits,
}

impl<'a> Item<'a> {
    fn new(kind: &'static str, name: &'a str, limits: &'a ListingLimits) -> Self {
        Self { kind, name, limits }
    }

    /// Each of `texts` is within `max_description`.
    fn texts(&self, texts: &[&str]) -> Result<(), Over> {
        texts.iter().try_for_each(|text| self.text("text", text))
    }

    fn text(&self, field: &str, text: &str) -> Result<(), Over> {
        self.within(field, text, self.limits.max_description, "max_description")
    }

    fn schema(&self, field: &str, text: &str) -> Result<(), Over> {
        self.within(field, text, self.limits.max_schema, "max_schema")
    }

    fn within(&self, field: &str, text: &str, limit: usize, key: &'static str) -> Result<(), Over> {
        if text.len() <= limit {
            return Ok(());
        }
        // The name itself may be what is too long: show only its start.
        let name: String = self.name.chars().take(64).collect();
        let cut = if name.len() < self.name.len() {
            "..."
        } else {
            ""
        };
        Err(Over {
            what: format!(
                "{} `{name}{cut}` has a {field} of {} bytes",
                self.kind,
                text.len()
            ),
            limit: format!("{limit} bytes"),
            key,
        })
    }
}

/// The bytes of all definitions so far, for `max_listing`.
struct Total {
    bytes: usize,
    limit: usize,
}

impl Total {
    fn new(limits: &ListingLimits) -> Self {
        Self {
            bytes: 0,
            limit: limits.max_listing,
        }
    }

    fn add(&mut self, texts: &[&str]) -> Result<(), Over> {
        self.bytes += ITEM_OVERHEAD + texts.iter().map(|text| text.len()).sum::<usize>();
        if self.bytes > self.limit {
            return Err(Over {
                what: format!("its definitions take more than {} bytes", self.limit),
                limit: format!("{} bytes", self.limit),
                key: "max_listing",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::bindings::moat::plugin::{server_types, types};
    use crate::sandbox::limits::LIFTED_ITEM;

    fn tool(name: &str, description: &str) -> types::Tool {
        types::Tool {
            name: name.into(),
            title: None,
            description: description.into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: None,
            annotations: None,
        }
    }

    #[test]
    fn lifted_items_fit_their_budget() {
        assert!(size_of::<types::Tool>() <= LIFTED_ITEM);
        assert!(size_of::<server_types::Resource>() <= LIFTED_ITEM);
        assert!(size_of::<server_types::ResourceTemplate>() <= LIFTED_ITEM);
        assert!(size_of::<server_types::Prompt>() <= LIFTED_ITEM);
    }

    #[test]
    fn counts_are_checked_first_and_named() {
        let described = Described {
            tools: (0..1001).map(|i| tool(&format!("t{i}"), "d")).collect(),
            ..Described::default()
        };
        let over = check(&described, &ListingLimits::default()).unwrap_err();
        assert_eq!(
            (over.what.as_str(), over.limit.as_str(), over.key),
            ("it lists 1001 tools", "1000", "max_tools")
        );
    }

    #[test]
    fn sizes_and_the_total_are_checked() {
        let limits = ListingLimits::default();
        let long = Described {
            tools: vec![tool("t0", &"d".repeat(limits.max_description + 1))],
            ..Described::default()
        };
        let over = check(&long, &limits).unwrap_err();
        assert!(
            over.what.starts_with("tool `t0` has a description of"),
            "{}",
            over.what
        );
        assert_eq!(over.key, "max_description");

        let many = Described {
            tools: (0..1000)
                .map(|i| tool(&format!("t{i}"), &"d".repeat(limits.max_description)))
                .collect(),
            ..Described::default()
        };
        assert_eq!(check(&many, &limits).unwrap_err().key, "max_listing");
        let fine = Described {
            tools: (0..1000).map(|i| tool(&format!("t{i}"), "d")).collect(),
            ..Described::default()
        };
        assert!(check(&fine, &limits).is_ok());
    }
}
