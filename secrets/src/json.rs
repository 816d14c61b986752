//! Scanning and redacting JSON values: every string and every object key
//! is scanned as text, and a string beside a key-like name (an object
//! member, or an item of an array that is one) is also checked whole
//! against the named rules. The walk uses its own stack, so a deep value
//! cannot overflow the thread's, and a finding's JSON Pointer is built only
//! when there is a finding.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Finding;
use super::rules::{NAMED, RULES};
use super::text::{COMPILED, Hit, apply, hits, merge, redact_hits};

/// Which named rules apply beside a key: bit `i` for `NAMED[i]`.
type Context = u32;

/// Every secret in `value`, in document order, each with its JSON Pointer.
pub fn scan_value(value: &Value) -> Vec<Finding> {
    let mut walk = Walk::default();
    scan_stack(vec![(value, ROOT, 0)], &mut walk);
    walk.findings
}

/// [`scan_value`] of an object, e.g. a call's arguments.
pub fn scan_object(object: &Map<String, Value>) -> Vec<Finding> {
    let mut walk = Walk::default();
    let mut stack = Vec::new();
    scan_members(object, ROOT, &mut walk, &mut stack);
    scan_stack(stack, &mut walk);
    walk.findings
}

/// Replaces every secret in `value` (in strings, and in object keys) by
/// `[REDACTED:<rule-id>]`, and returns what was found, as [`scan_value`]
/// does. A key that held a secret is renamed (with `#2`, `#3`... appended
/// if the redacted name is taken); strings stay strings, so a value that
/// matched a schema of types still does (a pattern or an enum may not).
///
/// The audit log uses this to redact argument values before writing them;
/// its signature is stable.
pub fn redact_value(value: &mut Value) -> Vec<Finding> {
    let mut walk = Walk::default();
    redact_stack(vec![(value, ROOT, 0)], &mut walk);
    walk.findings
}

/// [`redact_value`] of an object, e.g. a call's arguments.
pub fn redact_object(object: &mut Map<String, Value>) -> Vec<Finding> {
    let mut walk = Walk::default();
    let mut stack = Vec::new();
    push_members(object, ROOT, &mut walk, &mut stack);
    redact_stack(stack, &mut walk);
    walk.findings
}

fn scan_stack<'a>(mut stack: Vec<(&'a Value, usize, Context)>, walk: &mut Walk<'a>) {
    while let Some((value, at, context)) = stack.pop() {
        match value {
            Value::String(text) => walk.record(at, string_hits(text, context), false),
            Value::Array(items) => {
                // An array beside a key-like name passes the name to its items.
                for (i, item) in items.iter().enumerate().rev() {
                    stack.push((item, walk.step(at, Segment::Index(i)), context));
                }
            }
            Value::Object(map) => scan_members(map, at, walk, &mut stack),
            _ => {}
        }
    }
}

/// Records the secrets in the keys of `map` and pushes every member for
/// the walk, with its key's context.
fn scan_members<'a>(
    map: &'a Map<String, Value>,
    at: usize,
    walk: &mut Walk<'a>,
    stack: &mut Vec<(&'a Value, usize, Context)>,
) {
    let members: Vec<_> = map.iter().collect();
    for (key, item) in members.into_iter().rev() {
        let key_hits = hits(key);
        let segment = match key_hits.is_empty() {
            true => Cow::Borrowed(key.as_str()),
            false => Cow::Owned(apply(key, &key_hits)),
        };
        let step = walk.step(at, Segment::Key(segment));
        walk.record(step, key_hits, true);
        stack.push((item, step, key_context(key)));
    }
}

fn redact_stack<'a>(mut stack: Vec<(&'a mut Value, usize, Context)>, walk: &mut Walk<'a>) {
    while let Some((value, at, context)) = stack.pop() {
        match value {
            Value::String(text) => {
                let found = string_hits(text, context);
                if let Some((redacted, found)) = redact_hits(text, found) {
                    *text = redacted;
                    walk.record(at, found, false);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate().rev() {
                    stack.push((item, walk.step(at, Segment::Index(i)), context));
                }
            }
            Value::Object(map) => push_members(map, at, walk, &mut stack),
            _ => {}
        }
    }
}

/// Renames the members of `map` whose keys hold secrets, records those
/// findings, and pushes every member for the walk, with its key's context.
fn push_members<'a>(
    map: &'a mut Map<String, Value>,
    at: usize,
    walk: &mut Walk<'a>,
    stack: &mut Vec<(&'a mut Value, usize, Context)>,
) {
    let mut renamed: Vec<(String, Context, Vec<Hit>)> = Vec::new();
    let secret_keys: Vec<String> = map
        .keys()
        .filter(|k| !hits(k).is_empty())
        .cloned()
        .collect();
    for key in secret_keys {
        let item = map.remove(&key).expect("the key is in the map");
        let (redacted, found) = redact_hits(&key, Vec::new()).expect("the key holds a secret");
        let mut name = redacted.clone();
        let mut n = 1;
        while map.contains_key(&name) {
            n += 1;
            name = format!("{redacted}#{n}");
        }
        renamed.push((name.clone(), key_context(&key), found));
        map.insert(name, item);
    }
    let members: Vec<(&'a String, &'a mut Value)> = map.iter_mut().collect();
    for (key, item) in members.into_iter().rev() {
        let step = walk.step(at, Segment::Key(Cow::Borrowed(key.as_str())));
        let context = match renamed.iter().position(|(name, ..)| name == key) {
            Some(i) => {
                let (_, context, found) = renamed.swap_remove(i);
                walk.record(step, found, true);
                context
            }
            None => key_context(key),
        };
        stack.push((item, step, context));
    }
}

/// The hits in a JSON string beside a key with `context`: the text rules',
/// and each applicable named rule's if the whole string is its value.
fn string_hits(text: &str, context: Context) -> Vec<Hit> {
    let mut found = hits(text);
    if context != 0 {
        let compiled = &*COMPILED;
        for (i, rule) in NAMED.iter().enumerate() {
            if context & (1 << i) != 0 && compiled.values[i].is_match(text) && (rule.check)(text) {
                found.push(Hit {
                    order: RULES.len() + i,
                    span: 0..text.len(),
                });
            }
        }
        found = merge(found);
    }
    found
}

/// Which named rules apply beside `key`.
fn key_context(key: &str) -> Context {
    let compiled = &*COMPILED;
    let mut context = 0;
    for i in compiled.any_key.matches(key).iter() {
        let applies = NAMED[i].unless.is_empty()
            || compiled.keys[i]
                .captures(key)
                .is_some_and(|captures| captures.get(1).is_none());
        if applies {
            context |= 1 << i;
        }
    }
    context
}

/// The index of the root in a walk's steps.
const ROOT: usize = 0;

/// One step down a value.
enum Segment<'a> {
    /// The root itself.
    Root,
    /// An object member, by its (redacted) key.
    Key(Cow<'a, str>),
    /// An array item.
    Index(usize),
}

/// The steps of a walk, each with its parent, and what it found.
struct Walk<'a> {
    steps: Vec<(usize, Segment<'a>)>,
    findings: Vec<Finding>,
}

impl Default for Walk<'_> {
    fn default() -> Self {
        Self {
            steps: vec![(ROOT, Segment::Root)],
            findings: Vec::new(),
        }
    }
}

impl<'a> Walk<'a> {
    fn step(&mut self, parent: usize, segment: Segment<'a>) -> usize {
        self.steps.push((parent, segment));
        self.steps.len() - 1
    }

    fn record(&mut self, at: usize, hits: Vec<Hit>, in_key: bool) {
        if hits.is_empty() {
            return;
        }
        let pointer = self.pointer(at);
        self.findings.extend(hits.into_iter().map(|hit| Finding {
            rule: hit.rule(),
            pointer: pointer.clone(),
            span: hit.span,
            in_key,
        }));
    }

    /// The JSON Pointer of step `at` (RFC 6901: `~` is `~0`, `/` is `~1`).
    fn pointer(&self, mut at: usize) -> String {
        let mut segments = Vec::new();
        while at != ROOT {
            let (parent, segment) = &self.steps[at];
            segments.push(segment);
            at = *parent;
        }
        let mut pointer = String::new();
        for segment in segments.into_iter().rev() {
            pointer.push('/');
            match segment {
                Segment::Root => {}
                Segment::Key(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
                Segment::Index(i) => pointer.push_str(&i.to_string()),
            }
        }
        pointer
    }
}
