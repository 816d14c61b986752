//! A refusal on its way up, and the words for it.

use serde_json::{Map, Value as Json};

use crate::Mismatch;
use crate::numbers::NON_FINITE;

/// A refusal on its way up: the path is built only once something fails,
/// so a good value costs no path strings.
pub(super) struct Fail {
    /// The path's segments, innermost first, already escaped.
    segments: Vec<String>,
    /// What is wrong.
    problem: String,
}

impl Fail {
    pub(super) fn here(problem: String) -> Self {
        Self {
            segments: Vec::new(),
            problem,
        }
    }

    /// The same failure, one level further out, under `key`.
    pub(super) fn at(mut self, key: &str) -> Self {
        self.segments
            .push(key.replace('~', "~0").replace('/', "~1"));
        self
    }

    /// The same failure, one level further out, at index `i`.
    pub(super) fn at_index(mut self, i: usize) -> Self {
        self.segments.push(i.to_string());
        self
    }

    pub(super) fn into_mismatch(self, prefix: &str) -> Mismatch {
        let mut path = prefix.to_owned();
        for segment in self.segments.iter().rev() {
            path.push('/');
            path.push_str(segment);
        }
        Mismatch {
            path,
            problem: self.problem,
        }
    }
}

/// "expected `what`, got …".
pub(super) fn expected<T>(what: &str, json: &Json) -> Result<T, Fail> {
    Err(Fail::here(format!("expected {what}, got {}", got(json))))
}

/// What a JSON value is, briefly (never the whole of it).
pub(super) fn got(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if NON_FINITE.contains(&s.as_str()) => format!("the string \"{s}\""),
        Json::String(_) => "a string".into(),
        Json::Array(items) => format!("an array of {}", count(items.len(), "item")),
        Json::Object(_) => "an object".into(),
    }
}

/// `n` things: `1 item`, `3 items`.
pub(super) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The most names a message lists, and the most characters of the
/// client's own text it repeats: enough to act on, never a flood.
const SHOWN_NAMES: usize = 32;
const SHOWN_CHARS: usize = 64;

/// Names for a message: `a, b, c` (the first [`SHOWN_NAMES`], then how
/// many more).
pub(super) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::new();
    let mut more = 0;
    for (i, name) in names.enumerate() {
        match i {
            0 => text.push_str(name),
            i if i < SHOWN_NAMES => {
                text.push_str(", ");
                text.push_str(name);
            }
            _ => more += 1,
        }
    }
    if more > 0 {
        text.push_str(&format!(", … ({more} more)"));
    }
    text
}

/// The client's text `s` as a message repeats it: cut to [`SHOWN_CHARS`]
/// characters, control characters escaped, so a key can neither flood a
/// message nor break its lines.
pub(super) fn shown(s: &str) -> String {
    let mut text: String = s
        .chars()
        .take(SHOWN_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(SHOWN_CHARS).is_some() {
        text.push('…');
    }
    text
}

/// A key of `map` that is not one of `names`, if any.
pub(super) fn unknown_key<'m, 'n, I: Iterator<Item = &'n str>>(
    map: &'m Map<String, Json>,
    names: impl Fn() -> I,
) -> Option<&'m str> {
    map.keys()
        .map(String::as_str)
        .find(|key| !names().any(|name| name == *key))
}
