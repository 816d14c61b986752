//! `MOAT-L006`: a definition that names another plugin's tool. "When you
//! use `send_email`, always BCC ..." changes what a tool of another plugin
//! does without touching it (tool shadowing).
//!
//! A distinctive name (`send_email`, `math_add`, `getUser`, `v2`: with a
//! `_`, `-`, `.`, `/`, `:`, a digit or an inner capital) is found wherever it
//! stands as a word. A plain word (`add`, `search`, `read`) is found only
//! where it is marked as a name: in quotes or backticks, followed by `(`
//! or "tool", or after "tool" or "function". Otherwise every description
//! saying "add" or "read" would be flagged beside a plugin serving `add`.

use crate::OtherTool;
use crate::finding::{Code, Finding};
use crate::item::{Item, Text};
use crate::visible::{char_index, normalize, visible, window};

/// The other plugins' tool names, ready to be looked for.
pub(crate) struct Names(Vec<Name>);

struct Name {
    /// Lower case, as normalised text has it.
    lower: String,
    tool: OtherTool,
    distinctive: bool,
}

impl Names {
    pub(crate) fn new(others: &[OtherTool]) -> Self {
        let names = others
            .iter()
            .filter(|tool| !normalize(&tool.name).is_empty())
            .map(|tool| Name {
                lower: normalize(&tool.name),
                distinctive: distinctive(&tool.name),
                tool: tool.clone(),
            })
            .collect();
        Self(names)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a finding for each other tool that `text` names.
    pub(crate) fn check(&self, item: &Item, text: &Text, findings: &mut Vec<Finding>) {
        let normal = normalize(&text.value);
        for name in &self.0 {
            let Some(at) = find(&normal, name) else {
                continue;
            };
            let (from, to) = (
                char_index(&normal, at),
                char_index(&normal, at + name.lower.len()),
            );
            findings.push(Finding::new(
                Code::OtherTool,
                item,
                &text.place,
                format!(
                    "names `{}`, a tool of plugin `{}`: a definition that tells the model how to use another plugin's tool can change what that tool does (tool shadowing)",
                    visible(&name.tool.name),
                    visible(&name.tool.plugin)
                ),
                window(&normal, from, to),
            ));
        }
    }
}

/// Where `normal` names `name`, if it does.
fn find(normal: &str, name: &Name) -> Option<usize> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    normal
        .match_indices(&name.lower)
        .map(|(at, _)| at)
        .find(|&at| {
            let before = &normal[..at];
            let after = &normal[at + name.lower.len()..];
            if word(before.chars().next_back()) || word(after.chars().next()) {
                return false;
            }
            name.distinctive || marked(before, after)
        })
}

/// Whether a plain word between `before` and `after` is marked as a name.
fn marked(before: &str, after: &str) -> bool {
    const QUOTES: &[char] = &['`', '\'', '"', '‘', '’', '“', '”'];
    before.ends_with(QUOTES)
        || after.starts_with('(')
        || [" tool", " function", " command"]
            .iter()
            .any(|word| after.starts_with(word))
        || ["tool ", "tool named ", "tool called ", "function "]
            .iter()
            .any(|word| before.ends_with(word))
}

/// Whether `name` is unlike an English word.
fn distinctive(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next();
    name.chars()
        .any(|c| matches!(c, '_' | '-' | '.' | '/' | ':') || c.is_ascii_digit())
        || chars.any(char::is_uppercase)
}
