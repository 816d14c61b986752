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

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::OtherTool;
use crate::finding::{Code, Finding};
use crate::item::{Item, Text};
use crate::visible::{char_index, normalize, visible, window};

/// The other plugins' tool names, ready to be looked for: one automaton,
/// so that a text is read once however many tools the others serve.
pub(crate) struct Names {
    names: Vec<Name>,
    automaton: Option<AhoCorasick>,
}

struct Name {
    /// Lower case, as normalised text has it.
    lower: String,
    tool: OtherTool,
    distinctive: bool,
}

impl Names {
    pub(crate) fn new(others: &[OtherTool]) -> Self {
        let mut names: Vec<Name> = Vec::with_capacity(others.len());
        for tool in others {
            let lower = normalize(&tool.name);
            if lower.is_empty() || names.iter().any(|n| n.lower == lower) {
                continue;
            }
            names.push(Name {
                lower,
                distinctive: distinctive(&tool.name),
                tool: tool.clone(),
            });
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(names.iter().map(|n| &n.lower))
            .ok();
        Self { names, automaton }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty() || self.automaton.is_none()
    }

    /// Adds a finding for each other tool that `text` names.
    pub(crate) fn check(&self, item: &Item, text: &Text, findings: &mut Vec<Finding>) {
        let Some(automaton) = &self.automaton else {
            return;
        };
        let normal = normalize(&text.value);
        let mut reported = HashSet::new();
        for found in automaton.find_iter(&normal) {
            let name = &self.names[found.pattern().as_usize()];
            if reported.contains(&found.pattern())
                || !names(&normal, found.start(), found.end(), name)
            {
                continue;
            }
            reported.insert(found.pattern());
            let (from, to) = (
                char_index(&normal, found.start()),
                char_index(&normal, found.end()),
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

/// Whether `normal[start..end]`, where `name` was found, names it: it
/// stands as a word, and is distinctive or marked as a name.
fn names(normal: &str, start: usize, end: usize, name: &Name) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let (before, after) = (&normal[..start], &normal[end..]);
    if word(before.chars().next_back()) || word(after.chars().next()) {
        return false;
    }
    name.distinctive || marked(before, after)
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
