//! What the lint reports: a [`Finding`], its [`Code`] and its [`Severity`].

use std::fmt;
use std::str::FromStr;

use crate::item::{Item, Kind};

/// How bad a finding is. `moat serve --strict` (or `[lint] strict = true`)
/// refuses a plugin with any [`Severity::Error`] finding not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Suspicious, and honest definitions rarely do it: read it.
    Warning,
    /// What poisoned definitions do and honest ones have no reason to.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// A rule's stable code, e.g. `MOAT-L001`. Codes are never renumbered: an
/// operator's `[lint] accept` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// `MOAT-L001`: an invisible or control character (Unicode categories
    /// Cf and Cc but `\n` and `\t` in prose, bidi overrides and isolates,
    /// zero-width characters, fillers, variation selectors as a carrier).
    HiddenCharacter,
    /// `MOAT-L002`: Unicode tag characters (U+E0000–U+E007F), which render
    /// as nothing but spell ASCII a model reads; shown decoded.
    TagCharacters,
    /// `MOAT-L003`: an instruction block aimed at the model, e.g.
    /// `<IMPORTANT>`, `<instructions>`, `<system>`, `[INST]`.
    InstructionBlock,
    /// `MOAT-L004`: a phrase that overrides the model's instructions or
    /// hides something from the user ("ignore previous instructions", "do
    /// not tell the user", "before using any other tool").
    Override,
    /// `MOAT-L005`: a pushy phrase aimed at the model ("you must always",
    /// "this is very important"), suspicious on its own.
    Pushy,
    /// `MOAT-L006`: names a tool another plugin serves (shadowing).
    OtherTool,
    /// `MOAT-L007`: names a sensitive place (`~/.ssh`, `id_rsa`, `.env`,
    /// `mcp.json`, a client's config file, cloud credentials).
    SensitivePlace,
    /// `MOAT-L008`: a parameter named like a side channel (`note`,
    /// `context`, `feedback`...) whose description asks for content a tool
    /// does not need (the conversation, files, secrets, everything).
    ExfilParameter,
    /// `MOAT-L009`: a description longer than the lint's limit.
    LongDescription,
}

impl Code {
    /// Every code, in order.
    pub const ALL: [Self; 9] = [
        Self::HiddenCharacter,
        Self::TagCharacters,
        Self::InstructionBlock,
        Self::Override,
        Self::Pushy,
        Self::OtherTool,
        Self::SensitivePlace,
        Self::ExfilParameter,
        Self::LongDescription,
    ];

    /// The code as written, e.g. `MOAT-L001`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HiddenCharacter => "MOAT-L001",
            Self::TagCharacters => "MOAT-L002",
            Self::InstructionBlock => "MOAT-L003",
            Self::Override => "MOAT-L004",
            Self::Pushy => "MOAT-L005",
            Self::OtherTool => "MOAT-L006",
            Self::SensitivePlace => "MOAT-L007",
            Self::ExfilParameter => "MOAT-L008",
            Self::LongDescription => "MOAT-L009",
        }
    }

    /// How bad a finding of this code is.
    pub fn severity(self) -> Severity {
        match self {
            Self::Pushy | Self::LongDescription => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|code| code.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("`{text}` is not a lint code: they are MOAT-L001 to MOAT-L009"))
    }
}

/// One thing the lint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub code: Code,
    /// How bad it is (the code's).
    pub severity: Severity,
    /// What kind of item it is in.
    pub kind: Kind,
    /// The item's served name (a resource's URI, a template's URI template).
    pub item: String,
    /// Where in the item, a JSON-Pointer-like path: `description`,
    /// `inputSchema/properties/note/description`, `arguments/topic/description`.
    pub place: String,
    /// What is wrong and why it matters, for the operator.
    pub message: String,
    /// The offending text, made visible: invisible characters as
    /// `\u{200B}` escapes, tag characters decoded (see [`crate::visible`]).
    pub text: String,
}

impl Finding {
    /// A finding of `code` in `item` at `place`.
    pub(crate) fn new(code: Code, item: &Item, place: &str, message: String, text: String) -> Self {
        Self {
            code,
            severity: code.severity(),
            kind: item.kind,
            item: item.name.clone(),
            place: crate::visible::visible(place),
            message,
            text,
        }
    }

    /// The item as `[lint] accept` names it: `tool:NAME`, `resource:URI`,
    /// `template:URI_TEMPLATE` or `prompt:NAME`.
    pub fn item_id(&self) -> String {
        format!("{}:{}", self.kind, self.item)
    }
}

impl fmt::Display for Finding {
    /// One line: `MOAT-L003 error tool:search at description: MESSAGE: "TEXT"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}:{} at {}: {}: \"{}\"",
            self.code,
            self.severity,
            self.kind,
            crate::visible::visible(&self.item),
            self.place,
            self.message,
            self.text
        )
    }
}
