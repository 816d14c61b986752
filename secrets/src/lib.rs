//! Finds secrets in text and in JSON values, and redacts them.
//!
//! A table of rules ([`RULES`], [`NAMED`]), each with a stable id such as
//! `private-key`, `aws-access-key` or `generic-high-entropy`, finds private
//! keys, cloud access keys, API tokens, JWTs, bearer tokens and
//! high-entropy values beside key-like names (`password`, `secret`,
//! `token`, `api_key`, ...). [`scan`] and [`redact`] work on text;
//! [`scan_value`] and [`redact_value`] walk a JSON value, where an object's
//! keys give the "beside a key-like name" context and each finding names
//! its place by JSON Pointer (RFC 6901).
//!
//! A secret is replaced by `[REDACTED:<rule-id>]`; the rest is kept. A
//! redacted text or value holds no finding, and redacting it again changes
//! nothing.
//!
//! Cost: every pattern is compiled once, on first use, into one
//! [`regex::RegexSet`] that reads the text once; only the rules that match
//! somewhere then run on their own to find where. The `regex` crate runs
//! in time linear in the text (no backtracking), and no pattern keeps
//! searching far past where a match could end, so finding every match
//! stays linear too: a 10 MB string of base64 is scanned in one pass (a
//! few tens of milliseconds in a release build; see the `hostile` tests).
//! Entropy and the other checks are linear in the candidate they check.

mod entropy;
mod json;
mod rules;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

pub use self::entropy::{looks_random, shannon_entropy};
pub use self::json::{redact_object, redact_value, scan_object, scan_value};
pub use self::rules::{NAMED, Named, RULES, Rule};
pub use self::text::{redact, scan};

/// One secret found: which rule found it, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule's stable id, e.g. `aws-access-key`.
    pub rule: &'static str,
    /// Where, as a JSON Pointer (`/headers/Authorization`, `/items/0`);
    /// empty for plain text and for the root of a value. An object key
    /// that itself held a secret is shown redacted, here and in the
    /// pointers below it, so a pointer never carries a secret.
    pub pointer: String,
    /// The secret's byte range in the string at `pointer` (in the key, if
    /// `in_key`).
    pub span: Range<usize>,
    /// Whether the secret is in the object key named by `pointer` rather
    /// than in the string value there.
    pub in_key: bool,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = if self.pointer.is_empty() {
            "the root"
        } else {
            &self.pointer
        };
        let key = if self.in_key { " (in the key)" } else { "" };
        write!(f, "`{}` at {place}{key}", self.rule)
    }
}

/// The text a secret found by `rule` is replaced with: `[REDACTED:rule]`.
pub fn marker(rule: &str) -> String {
    format!("[REDACTED:{rule}]")
}
