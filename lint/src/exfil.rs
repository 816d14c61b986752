//! `MOAT-L008`: a parameter that exists to carry data out. Its name is
//! one a side channel takes (`note`, `context`, `feedback`, `debug`,
//! `metadata`, `sidenote`...), and its description asks the model for what
//! no tool needs from it: the conversation, its instructions, files,
//! secrets, "everything". Neither alone is enough: a search tool's
//! `context` ("lines around each match") is honest, and so is a `query`
//! that mentions a password field.

use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Code, Finding};
use crate::item::{Item, Param};
use crate::patterns::SENSITIVE;
use crate::visible::{char_index, normalize, window};

/// Words of a parameter's name that side channels use.
const SIDE_CHANNEL_WORDS: &[&str] = &[
    "note",
    "notes",
    "sidenote",
    "context",
    "feedback",
    "debug",
    "metadata",
    "meta",
    "extra",
    "summary",
    "conversation",
    "history",
    "reasoning",
    "thoughts",
    "thought",
    "thinking",
    "comment",
    "comments",
    "remark",
    "remarks",
    "memo",
    "annotation",
    "annotations",
    "telemetry",
    "diagnostics",
    "diagnostic",
    "trace",
    "log",
    "logs",
    "info",
    "details",
    "transcript",
    "chat",
    "memory",
    "session",
    "background",
    "additional",
    "misc",
    "internal",
    "hidden",
    "secret",
];

/// What a side channel asks for: content no tool needs from the model.
const ASKS: &[(&str, &str)] = &[
    (
        "the conversation",
        r"\b(conversation|chat|dialog(ue)?|transcript)s?\b|\bmessage history\b",
    ),
    (
        "earlier messages",
        r"\b(previous|prior|earlier|past|all|other|every|preceding) (user |assistant )?(messages?|turns?|prompts?|requests)\b",
    ),
    (
        "the model's instructions",
        r"\bsystem (prompt|message|instructions)\b|\byour (instructions|prompt|rules|guidelines)\b|\b(tools|functions) (you have|available to you)\b",
    ),
    (
        "file contents",
        r"\b(contents?|text) of (the |any |all |every |each |your |their |these )?([a-z0-9_.~/-]+ )?(files?|documents?|director(y|ies)|folders?|config(uration)?s?)\b|\bfile contents?\b|\bread (the |any |all )?files?\b",
    ),
    (
        "secrets",
        r"\b(secrets?|passwords?|passphrases?|api[ _-]?keys?|access[ _-]?keys?|tokens?|credentials?|private[ _-]?keys?|ssh[ _-]?keys?|cookies?|env(ironment)? var(iable)?s?)\b",
    ),
    (
        "everything",
        r"\beverything\b|\ball (the |of the |available |relevant |other )?(information|info|data|details|context|content)\b|\bany (other )?(information|context|data|details) (you have|available|you know|you can)\b",
    ),
    (
        "the user's personal data",
        r"\b(user.?s?|personal|private) (data|information|details|emails?|address(es)?|messages|files)\b",
    ),
    ("a sensitive place", SENSITIVE),
];

static ASKED: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    ASKS.iter()
        .map(|&(what, pattern)| {
            (
                what,
                Regex::new(pattern).expect("the lint's patterns compile"),
            )
        })
        .collect()
});

/// Adds a finding for each parameter of `item` the model fills in (not an
/// output schema's) that is a side channel.
pub(crate) fn check(item: &Item, findings: &mut Vec<Finding>) {
    let filled = item
        .params
        .iter()
        .filter(|p| !p.place.starts_with("outputSchema"));
    for param in filled.filter(|param| side_channel_name(&param.name)) {
        if let Some(finding) = asks_too_much(item, param) {
            findings.push(finding);
        }
    }
}

/// Whether `name` is, or has a word that is, a side channel's.
pub(crate) fn side_channel_name(name: &str) -> bool {
    let whole: String = normalize(name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if matches!(whole.as_str(), "sidenote" | "summaryofconversation") {
        return true;
    }
    words(name)
        .iter()
        .any(|word| SIDE_CHANNEL_WORDS.contains(&word.as_str()))
}

/// `name` cut into lower-case words at `_`, `-`, spaces, digits and camelCase.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphabetic() {
            words.push(std::mem::take(&mut word));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase();
        word.extend(c.to_lowercase());
    }
    words.push(word);
    words.retain(|word| !word.is_empty());
    words
}

fn asks_too_much(item: &Item, param: &Param) -> Option<Finding> {
    // A name can ask by itself: `summary_of_conversation`.
    let normal = normalize(&format!("{} {}", words(&param.name).join(" "), param.asks));
    let (what, found) = ASKED
        .iter()
        .find_map(|(what, pattern)| pattern.find(&normal).map(|found| (what, found)))?;
    let (from, to) = (
        char_index(&normal, found.start()),
        char_index(&normal, found.end()),
    );
    Some(Finding::new(
        Code::ExfilParameter,
        item,
        &param.place,
        format!(
            "parameter `{}` asks the model for {what} ({:?}), which no tool needs from it: a side channel that carries data out",
            crate::visible::visible(&param.name),
            crate::visible::at_most(found.as_str().trim(), crate::patterns::MATCHED)
        ),
        window(&normal, from, to),
    ))
}
