//! Scanning and redacting text: every rule's pattern in one `RegexSet`
//! pass, then only the rules that matched, each on its own, to find where.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::Finding;
use super::rules::{NAMED, RULES};

/// Most rounds of redaction: a round replaces every secret found; another
/// is needed only if replacing one made a new one appear, which the rules
/// are written never to do (a marker starts with `[`, which no value may
/// hold). Bounds the work even so.
const ROUNDS: usize = 4;

/// One secret in a string: the index of its rule (in `RULES` then `NAMED`,
/// the priority order) and its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) order: usize,
    pub(crate) span: Range<usize>,
}

impl Hit {
    /// The id of the rule that found it.
    pub(crate) fn rule(&self) -> &'static str {
        match self.order.checked_sub(RULES.len()) {
            None => RULES[self.order].id,
            Some(named) => NAMED[named].id,
        }
    }
}

/// Every pattern, compiled once.
pub(crate) struct Compiled {
    /// All of them, for the one pass that says which rules match at all.
    set: RegexSet,
    /// Each of them, in the same order, to find where.
    each: Vec<Regex>,
    /// Each named rule's name, matched against a JSON object key...
    pub(crate) keys: Vec<Regex>,
    /// ... all at once first, since most keys match none.
    pub(crate) any_key: RegexSet,
    /// Each named rule's value shape, matched against a whole JSON string.
    pub(crate) values: Vec<Regex>,
}

/// The compiled rules. Compiling takes a few milliseconds, once per process.
pub(crate) static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut patterns: Vec<String> = RULES.iter().map(|r| r.pattern.to_owned()).collect();
    patterns.extend(NAMED.iter().map(|named| {
        let unless = optional(named.unless);
        // `name = value`, `name: value`, `"name": "value"`, `name := value`,
        // `name => value`, with JSON-escaped quotes too.
        format!(
            r#"(?i:{unless}(?:{}))s?\\?["']?[ \t]*(?::=|=>|[:=])[ \t]*\\?["']?({})"#,
            named.name, named.value
        )
    }));
    let build = |pattern: &str| Regex::new(pattern).expect("the rules compile");
    let keys: Vec<String> = NAMED
        .iter()
        .map(|n| format!("(?i:{}(?:{}))s?$", optional(n.unless), n.name))
        .collect();
    Compiled {
        set: RegexSet::new(&patterns).expect("the rules compile"),
        each: patterns.iter().map(|p| build(p)).collect(),
        any_key: RegexSet::new(&keys).expect("the rules compile"),
        keys: keys.iter().map(|k| build(k)).collect(),
        values: NAMED
            .iter()
            .map(|n| build(&format!("^(?:{})$", n.value)))
            .collect(),
    }
});

/// `(prefix)?`, the capture group that makes a name not count, or nothing.
fn optional(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("({prefix})?")
    }
}

/// Every secret in `text`, in order, overlapping ones merged into one (a
/// secret found by two rules is reported once, by the first in priority).
pub fn scan(text: &str) -> Vec<Finding> {
    hits(text)
        .into_iter()
        .map(|hit| Finding {
            rule: hit.rule(),
            pointer: String::new(),
            span: hit.span,
            in_key: false,
        })
        .collect()
}

/// `text` with every secret replaced by `[REDACTED:<rule-id>]`; the rest is
/// kept. Borrowed when there is nothing to redact.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    match redact_hits(text, Vec::new()) {
        Some((redacted, _)) => redacted.into(),
        None => text.into(),
    }
}

/// Redacts `text`, whose first round of hits is `first` (or, if empty,
/// scanned here), until nothing is found; `None` if nothing was. Returns
/// the redacted text and every hit, of every round.
pub(crate) fn redact_hits(text: &str, first: Vec<Hit>) -> Option<(String, Vec<Hit>)> {
    let mut found = if first.is_empty() { hits(text) } else { first };
    if found.is_empty() {
        return None;
    }
    let mut text = apply(text, &found);
    for _ in 1..ROUNDS {
        let more = hits(&text);
        if more.is_empty() {
            break;
        }
        text = apply(&text, &more);
        found.extend(more);
    }
    Some((text, found))
}

/// The hits in `text`, merged. Invisible characters (zero-width spaces
/// and joiners, bidi controls, soft hyphens, tag characters) are skipped,
/// so that `AKIA\u{200B}IOSFODNN7EXAMPLE` is still a key: a model reads
/// through them. Text without any costs one check that it is ASCII.
pub(crate) fn hits(text: &str) -> Vec<Hit> {
    if text.is_ascii() || !text.chars().any(invisible) {
        return visible_hits(text);
    }
    // Where each byte of the visible text came from in `text`.
    let mut visible = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices().filter(|(_, c)| !invisible(*c)) {
        origin.extend(std::iter::repeat_n(at, c.len_utf8()));
        visible.push(c);
    }
    origin.push(text.len());
    let mut found = visible_hits(&visible);
    for hit in &mut found {
        // From the secret's first character to just before the next visible
        // one (the invisible characters inside it go with it).
        hit.span = origin[hit.span.start]..origin[hit.span.end];
    }
    found
}

/// A character that shows nothing: Unicode format characters a secret can
/// be broken up with and still be read.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
}

/// The hits in `text` as it is, merged.
fn visible_hits(text: &str) -> Vec<Hit> {
    let compiled = &*COMPILED;
    let matched = compiled.set.matches(text);
    if !matched.matched_any() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for order in matched.iter() {
        for captures in compiled.each[order].captures_iter(text) {
            let secret = match order.checked_sub(RULES.len()) {
                None => {
                    let rule = &RULES[order];
                    let secret = captures.get(rule.group).expect("the group matched");
                    rule.check
                        .is_none_or(|check| check(secret.as_str()))
                        .then_some(secret)
                }
                Some(named) => {
                    let rule = &NAMED[named];
                    let excluded = !rule.unless.is_empty() && captures.get(1).is_some();
                    let value = captures.get(captures.len() - 1).expect("the value matched");
                    (!excluded && (rule.check)(value.as_str())).then_some(value)
                }
            };
            if let Some(secret) = secret.filter(|s| !s.is_empty()) {
                found.push(Hit {
                    order,
                    span: secret.range(),
                });
            }
        }
    }
    merge(found)
}

/// Sorts `hits` and merges those that overlap into one, named by the first
/// to start (of those starting together, the first in priority).
pub(crate) fn merge(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|hit| (hit.span.start, hit.order));
    let mut merged: Vec<Hit> = Vec::with_capacity(hits.len());
    for hit in hits {
        match merged.last_mut() {
            Some(last) if hit.span.start < last.span.end => {
                last.span.end = last.span.end.max(hit.span.end);
            }
            _ => merged.push(hit),
        }
    }
    merged
}

/// `text` with each of `hits` (sorted, disjoint) replaced by its marker.
pub(crate) fn apply(text: &str, hits: &[Hit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for hit in hits {
        out.push_str(&text[at..hit.span.start]);
        out.push_str(&super::marker(hit.rule()));
        at = hit.span.end;
    }
    out.push_str(&text[at..]);
    out
}
