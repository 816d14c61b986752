//! Exact-value redaction of a plugin's granted secrets: every place a
//! plugin's text leaves the host (answers, errors, its stdout and stderr
//! in the log, its log messages) passes through its [`Redactor`], which
//! replaces each value by `[REDACTED:secret:NAME]`.
//!
//! What is caught: the raw value, and the value written whole as JSON or
//! Rust string escapes, as standard or URL-safe base64 (with or without
//! padding) and as lower- or upper-case hex. What is not: a value split,
//! reversed, re-encoded otherwise (ROT13, compressed, encrypted), or
//! base64-encoded together with other bytes (the encoding then depends on
//! the offset). A plugin that holds a secret can always smuggle it out
//! bit by bit; redaction stops the accidental and the naive leak.
//!
//! One automaton (aho-corasick) per plugin, built at load: a scan is a
//! single pass over the text whatever the number of secrets. Plugins
//! without secrets have no redactor, and pay nothing.
//!
//! The redactors of every plugin alive also make up [`logged`], through
//! which moat's log lines and audit records pass.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, Weak};

use aho_corasick::{AhoCorasick, MatchKind};
use arc_swap::ArcSwapOption;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;

use super::secret_store::SecretValue;

/// Finds and replaces a set of secret values.
pub struct Redactor {
    values: Vec<SecretValue>,
    automaton: AhoCorasick,
    /// For each pattern, the index in `values` of the secret it encodes.
    owner: Vec<usize>,
    /// For each secret, its replacement.
    marks: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.values).finish()
    }
}

/// The secrets every live plugin holds, for [`logged`].
static LIVE: Mutex<Vec<Weak<Redactor>>> = Mutex::new(Vec::new());
/// All of [`LIVE`] in one redactor, rebuilt when a plugin with secrets loads.
static LOGGED: ArcSwapOption<Redactor> = ArcSwapOption::const_empty();

/// The redactor of every secret held by a plugin loaded so far (and still
/// alive when the last one loaded), or `None` if none holds any. moat's
/// log writer and the audit log pass their text through it.
pub fn logged() -> Option<Arc<Redactor>> {
    LOGGED.load_full()
}

impl Redactor {
    /// A redactor of `values`, or `None` if there are none. It joins
    /// [`logged`] for as long as it lives.
    pub fn for_plugin(values: Vec<SecretValue>) -> Option<Arc<Self>> {
        let redactor = Arc::new(Self::new(values)?);
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|weak| weak.strong_count() > 0);
        live.push(Arc::downgrade(&redactor));
        let all: Vec<SecretValue> = live
            .iter()
            .filter_map(Weak::upgrade)
            .flat_map(|r| r.values.clone())
            .collect();
        LOGGED.store(Self::new(all).map(Arc::new));
        Some(redactor)
    }

    /// A redactor of `values` alone, or `None` if there are none.
    pub fn new(values: Vec<SecretValue>) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut owner = Vec::new();
        for (i, value) in values.iter().enumerate() {
            for form in forms(value.expose()) {
                if !form.is_empty() && !patterns.contains(&form) {
                    patterns.push(form);
                    owner.push(i);
                }
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("at most a few MiB of literal patterns build");
        let marks = values
            .iter()
            .map(|v| format!("[REDACTED:secret:{}]", v.name()))
            .collect();
        Some(Self {
            values,
            automaton,
            owner,
            marks,
        })
    }

    /// `text` with each secret replaced; borrowed if it holds none.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.automaton.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        self.automaton
            .replace_all_with(text, &mut out, |found, _, out| {
                out.push_str(&self.marks[self.owner[found.pattern().as_usize()]]);
                true
            });
        Cow::Owned(out)
    }

    /// `bytes` with each secret replaced; borrowed if they hold none.
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.automaton.is_match(bytes) {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::with_capacity(bytes.len());
        self.automaton
            .replace_all_with_bytes(bytes, &mut out, |found, _, out| {
                out.extend_from_slice(
                    self.marks[self.owner[found.pattern().as_usize()]].as_bytes(),
                );
                true
            });
        Cow::Owned(out)
    }

    /// Redacts `text` in place; whether it held a secret.
    pub fn redact_string(&self, text: &mut String) -> bool {
        match self.redact(text) {
            Cow::Borrowed(_) => false,
            Cow::Owned(clean) => {
                *text = clean;
                true
            }
        }
    }

    /// Redacts every string and key of `value` in place; the names of the
    /// secrets found, each once.
    pub fn redact_value(&self, value: &mut Value) -> Vec<Arc<str>> {
        let mut found = Vec::new();
        let hit = |r: &Self, text: &str, found: &mut Vec<Arc<str>>| {
            for m in r.automaton.find_iter(text) {
                let name = r.values[r.owner[m.pattern().as_usize()]].name();
                if !found.contains(name) {
                    found.push(name.clone());
                }
            }
        };
        let mut stack = vec![value];
        while let Some(value) = stack.pop() {
            match value {
                Value::String(text) => {
                    hit(self, text, &mut found);
                    self.redact_string(text);
                }
                Value::Array(items) => stack.extend(items),
                Value::Object(map) => {
                    if map.keys().any(|k| self.automaton.is_match(k)) {
                        let old = std::mem::take(map);
                        for (key, item) in old {
                            hit(self, &key, &mut found);
                            map.insert(self.redact(&key).into_owned(), item);
                        }
                    }
                    stack.extend(map.values_mut());
                }
                _ => {}
            }
        }
        found
    }
}

/// The forms of `value` that are caught: raw, JSON- and Rust-escaped,
/// base64 (standard and URL-safe, padded or not) and hex.
fn forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    let debug = format!("{value:?}");
    let debug = debug[1..debug.len() - 1].to_owned();
    let bytes = value.as_bytes();
    vec![
        value.to_owned(),
        json,
        debug,
        STANDARD.encode(bytes),
        STANDARD_NO_PAD.encode(bytes),
        URL_SAFE.encode(bytes),
        URL_SAFE_NO_PAD.encode(bytes),
        hex::encode(bytes),
        hex::encode_upper(bytes),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        Redactor::new(vec![
            SecretValue::new("API_KEY", "k3y-\"quoted\"\nline".into()),
            SecretValue::new("DB", "pa55word".into()),
        ])
        .unwrap()
    }

    proptest::proptest! {
        /// Whatever surrounds it, no value survives redaction, raw or
        /// encoded. (Values of letters and digits: a value made of a
        /// marker's own text, `RED` say, would be found in the marker.)
        #[test]
        fn no_value_survives(
            value in "[a-z0-9]{8,40}",
            before in "\\PC{0,40}",
            after in "\\PC{0,40}",
        ) {
            let r = Redactor::new(vec![SecretValue::new("K", value.clone())]).unwrap();
            for form in [value.clone(), STANDARD.encode(&value), hex::encode(&value)] {
                let text = format!("{before}{form}{after}{form}");
                let clean = r.redact(&text);
                proptest::prop_assert!(!clean.contains(&value), "{clean}");
                proptest::prop_assert!(clean.contains("[REDACTED:secret:K]"));
            }
        }
    }

    #[test]
    fn no_values_no_redactor() {
        assert!(Redactor::new(Vec::new()).is_none());
    }

    #[test]
    fn every_form_is_replaced_by_its_name() {
        let r = redactor();
        assert_eq!(r.redact("a pa55word b"), "a [REDACTED:secret:DB] b");
        let b64 = STANDARD.encode("pa55word");
        let hex = hex::encode_upper("pa55word");
        assert_eq!(
            r.redact(&format!("{b64} {hex}")),
            "[REDACTED:secret:DB] [REDACTED:secret:DB]"
        );
        let json = serde_json::to_string(&json!({"v": "k3y-\"quoted\"\nline"})).unwrap();
        assert_eq!(r.redact(&json), "{\"v\":\"[REDACTED:secret:API_KEY]\"}");
        let debug = format!("{:?}", "k3y-\"quoted\"\nline");
        assert_eq!(r.redact(&debug), "\"[REDACTED:secret:API_KEY]\"");
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        assert_eq!(&*r.redact_bytes(b"xpa55wordx"), b"x[REDACTED:secret:DB]x");
    }

    #[test]
    fn a_value_is_redacted_in_strings_and_keys() {
        let r = redactor();
        let mut value = json!({"a": ["pa55word", 1], "pa55word": {"b": "ok"}});
        let found = r.redact_value(&mut value);
        assert_eq!(
            value,
            json!({"a": ["[REDACTED:secret:DB]", 1], "[REDACTED:secret:DB]": {"b": "ok"}})
        );
        assert_eq!(found, vec![Arc::<str>::from("DB")]);
    }

    #[test]
    fn logged_holds_every_live_plugins_secrets() {
        let one = Redactor::for_plugin(vec![SecretValue::new("ONE", "first-value-1".into())]);
        let two = Redactor::for_plugin(vec![SecretValue::new("TWO", "second-value-2".into())]);
        let logged = logged().unwrap();
        assert!(logged.redact("first-value-1").contains("ONE"));
        assert!(logged.redact("second-value-2").contains("TWO"));
        drop((one, two));
    }
}
