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
        Json::Array(items) => format!("an array of {} items", items.len()),
        Json::Object(_) => "an object".into(),
    }
}

/// Names for a message: `a, b, c`.
pub(super) fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
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
