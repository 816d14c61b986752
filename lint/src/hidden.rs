//! `MOAT-L001` (invisible and control characters) and `MOAT-L002` (tag
//! characters): text a user does not see and a model reads.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::finding::{Code, Finding};
use crate::item::{Item, Text};
use crate::visible::{at_most, decode_tags, is_invisible, is_tag, is_variation_selector, window};

/// The most distinct characters a finding names.
const NAMED: usize = 5;

/// Adds the hidden-character findings of `text`.
pub(crate) fn check(item: &Item, text: &Text, findings: &mut Vec<Finding>) {
    let chars: Vec<char> = text.value.chars().collect();
    let mut hidden: Vec<usize> = Vec::new();
    let mut tags: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if is_tag(c) {
            let start = i;
            while i < chars.len() && is_tag(chars[i]) {
                i += 1;
            }
            if !is_flag_sequence(&chars, start, i) {
                tags.push((start, i));
            }
            continue;
        }
        if is_invisible(c) && !allowed(&chars, i, text.prose) {
            hidden.push(i);
        }
        i += 1;
    }
    if let (Some(&first), Some(&last)) = (hidden.first(), hidden.last()) {
        let mut seen = HashSet::new();
        let named: Vec<char> = hidden
            .iter()
            .map(|&at| chars[at])
            .filter(|c| seen.insert(*c))
            .collect();
        let mut list = String::new();
        for (n, c) in named.iter().take(NAMED).enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            let _ = write!(list, "{sep}U+{:04X} {}", *c as u32, char_name(*c));
        }
        if named.len() > NAMED {
            let _ = write!(list, " and {} more", named.len() - NAMED);
        }
        let message = format!(
            "has {} invisible or control character{} ({list}): a user does not see them, a model reads them, and they can hide or reorder text",
            hidden.len(),
            if hidden.len() == 1 { "" } else { "s" }
        );
        findings.push(Finding::new(
            Code::HiddenCharacter,
            item,
            &text.place,
            message,
            window(&text.value, first, last + 1),
        ));
    }
    if let (Some(&(first, _)), Some(&(_, last))) = (tags.first(), tags.last()) {
        let decoded = tags
            .iter()
            .map(|&(start, end)| decode_tags(&chars[start..end].iter().collect::<String>()))
            .collect::<Vec<_>>()
            .join(" ");
        let decoded = at_most(&decoded, crate::patterns::MATCHED);
        let count: usize = tags.iter().map(|(start, end)| end - start).sum();
        findings.push(Finding::new(
            Code::TagCharacters,
            item,
            &text.place,
            format!(
                "hides text in {count} Unicode tag characters (U+E0000–U+E007F), which render as nothing but spell ASCII a model reads: {decoded:?}"
            ),
            window(&text.value, first, last),
        ));
    }
}

/// Whether the invisible character at `i` is doing an honest job: a
/// newline or tab in prose, a variation selector or zero-width joiner
/// inside an emoji, a zero-width non-joiner between letters of a script
/// that needs it.
fn allowed(chars: &[char], i: usize, prose: bool) -> bool {
    let c = chars[i];
    let before = i.checked_sub(1).map(|b| chars[b]);
    let after = chars.get(i + 1).copied();
    let shaped = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && !is_invisible(c));
    match c {
        '\n' | '\t' => prose,
        // A keycap (`1️⃣`) or a base character taking one selector.
        _ if is_variation_selector(c) => {
            shaped(before)
                || (before.is_some_and(|b| b.is_ascii_digit() || b == '#' || b == '*')
                    && after == Some('\u{20E3}'))
        }
        '\u{200D}' | '\u{200C}' => shaped(before) && shaped(after),
        _ => false,
    }
}

/// Whether the tags `start..end` spell an emoji subdivision flag (🏴 then
/// lower-case letters and digits, then CANCEL TAG), as for Scotland.
fn is_flag_sequence(chars: &[char], start: usize, end: usize) -> bool {
    let spelled = &chars[start..end];
    start > 0
        && chars[start - 1] == '\u{1F3F4}'
        && spelled.len() >= 2
        && spelled.last() == Some(&'\u{E007F}')
        && spelled[..spelled.len() - 1].iter().all(|&c| {
            char::from_u32(c as u32 - 0xE0000)
                .is_some_and(|a| a.is_ascii_lowercase() || a.is_ascii_digit())
        })
}

/// The character's Unicode name, e.g. `ZERO WIDTH SPACE`.
fn char_name(c: char) -> String {
    unicode_names2::name(c).map_or_else(
        || match c {
            '\0'..='\x1F' | '\x7F'..='\u{9F}' => "CONTROL CHARACTER".into(),
            _ => "UNNAMED CHARACTER".into(),
        },
        |name| name.to_string(),
    )
}
