//! The definition lint: what a plugin's tools, resources, templates and
//! prompts tell a model, checked once, before any client reads it.
//!
//! MCP clients put every definition's texts (names, titles, descriptions,
//! whole JSON Schemas) into the model's context. A plugin that can write
//! those texts can instruct the model ("tool poisoning", OWASP MCP Top 10
//! MCP03): hide text in invisible characters, tell the model to read
//! `~/.ssh/id_rsa` and pass it in a `note` parameter, or change how the model
//! uses another server's tool. [`lint`] finds what such definitions look
//! like; each [`Finding`] names its [`Code`], its [`Severity`], the item, the
//! place inside it, and the offending text made visible.
//!
//! Pure functions over plain data ([`Item`]): no runtime, no I/O.
//!
//! | code | catches | severity |
//! | --- | --- | --- |
//! | `MOAT-L001` | invisible and control characters | error |
//! | `MOAT-L002` | Unicode tag characters (hidden ASCII), decoded | error |
//! | `MOAT-L003` | instruction blocks (`<IMPORTANT>`, `<system>`...) | error |
//! | `MOAT-L004` | phrases that override or hide from the user | error |
//! | `MOAT-L005` | pushy phrases aimed at the model | warning |
//! | `MOAT-L006` | another plugin's tool named (shadowing) | error |
//! | `MOAT-L007` | sensitive places (`~/.ssh`, `.env`, `mcp.json`...) | error |
//! | `MOAT-L008` | a parameter that asks for what the tool does not need | error |
//! | `MOAT-L009` | a description longer than the limit | warning |

mod exfil;
mod finding;
mod hidden;
mod item;
mod patterns;
mod shadow;
mod visible;

#[cfg(test)]
mod tests;

pub use self::finding::{Code, Finding, Severity};
pub use self::item::{Item, Kind, Param, Text};
pub use self::visible::{decode_tags, normalize, visible};

/// How strict the lint is about lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The longest description (in characters) not flagged by `MOAT-L009`.
    /// See [`DEFAULT_MAX_DESCRIPTION`].
    pub max_description: usize,
}

/// The default of [`Options::max_description`]: 1024 characters. The
/// reference MCP servers' longest tool descriptions (filesystem, git,
/// GitHub) run to a few hundred characters, and a client shows a user the
/// first line or two; a description several times that long is where a
/// payload hides below what the user sees. A warning, not an error: some
/// honest tools document themselves at length.
pub const DEFAULT_MAX_DESCRIPTION: usize = 1024;

impl Default for Options {
    fn default() -> Self {
        Self {
            max_description: DEFAULT_MAX_DESCRIPTION,
        }
    }
}

/// A tool served by another plugin, which a definition must not talk about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherTool {
    /// The tool's served name.
    pub name: String,
    /// The plugin serving it.
    pub plugin: String,
}

/// Every finding in `items` (one plugin's definitions) on its own: every
/// rule but shadowing, which needs the other plugins (see [`shadowing`]).
pub fn lint(items: &[Item], options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    for item in items {
        for text in &item.texts {
            hidden::check(item, text, &mut findings);
            patterns::check(item, text, &mut findings);
            let hidden = decode_tags(&text.value);
            if !hidden.is_empty() {
                // What the tags spell is read by the model: check it too.
                let decoded = Text {
                    place: format!("{} (hidden tag text)", text.place),
                    value: hidden,
                    prose: true,
                };
                patterns::check(item, &decoded, &mut findings);
            }
            if text.is_description() {
                let length = text.value.chars().count();
                if length > options.max_description {
                    findings.push(Finding::new(
                        Code::LongDescription,
                        item,
                        &text.place,
                        format!(
                            "is {length} characters long, over the lint's limit of {} (`[lint] max_description_chars`): a long description can hide instructions below what a user reads",
                            options.max_description
                        ),
                        visible::excerpt(&text.value, options.max_description),
                    ));
                }
            }
        }
        exfil::check(item, &mut findings);
    }
    findings
}

/// The findings of `items` that name a tool of `others` (tools served by
/// other plugins): a definition that tells the model how to use another
/// plugin's tool can change what that tool does ("shadowing").
pub fn shadowing(items: &[Item], others: &[OtherTool]) -> Vec<Finding> {
    let names = shadow::Names::new(others);
    let mut findings = Vec::new();
    if names.is_empty() {
        return findings;
    }
    for item in items {
        for text in item.texts.iter().filter(|text| text.prose) {
            names.check(item, text, &mut findings);
        }
    }
    findings
}
