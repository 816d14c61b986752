//! Making hidden text visible, and normalising text before it is matched.

use std::collections::HashMap;
use std::fmt::Write as _;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::UnicodeNormalization as _;

/// How many characters of context a finding shows either side of what it found.
const CONTEXT: usize = 30;
/// The most characters of the found text itself a finding shows.
const SHOWN: usize = 120;

/// Whether `c` is a Unicode tag character (U+E0000–U+E007F).
pub(crate) fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Whether `c` is a variation selector (VS1–VS256, and Mongolian's free ones).
pub(crate) fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}' | '\u{180B}'..='\u{180D}' | '\u{180F}')
}

/// Whether `c` renders as nothing (or not at all) where a user reads it:
/// categories Cc, Cf (zero-width characters, bidi controls, tags...), Co
/// (private use), Zl and Zp, variation selectors, and the characters that
/// fonts draw blank (Hangul fillers, the blank Braille pattern, the
/// combining grapheme joiner).
pub(crate) fn is_invisible(c: char) -> bool {
    use GeneralCategory as G;
    matches!(
        get_general_category(c),
        G::Control | G::Format | G::PrivateUse | G::LineSeparator | G::ParagraphSeparator
    ) || is_variation_selector(c)
        || matches!(
            c,
            '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{2800}' | '\u{3164}' | '\u{FFA0}'
        )
}

/// The ASCII hidden in the tag characters of `text` (U+E0020–U+E007E stand
/// for ASCII 0x20–0x7E; the other tags spell nothing).
pub fn decode_tags(text: &str) -> String {
    text.chars()
        .filter(|c| ('\u{E0020}'..='\u{E007E}').contains(c))
        .map(|c| char::from_u32(c as u32 - 0xE0000).unwrap_or('?'))
        .collect()
}

/// `text` made visible on one line: control characters as `\n`, `\t` or
/// `\u{7}`, every invisible character as its `\u{200B}` escape, and each
/// run of tag characters decoded, as `[hidden tag text: "ignore previous"]`.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_tag(c) {
            let mut run = String::from(c);
            while let Some(&next) = chars.peek().filter(|next| is_tag(**next)) {
                run.push(next);
                chars.next();
            }
            let _ = write!(out, "[hidden tag text: {:?}]", decode_tags(&run));
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if is_invisible(c) => {
                let _ = write!(out, "\\u{{{:X}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The text the phrase rules match: NFKC-normalised (fullwidth and
/// mathematical letters become plain ones), each letter that is confusable
/// with an ASCII one replaced by it (Cyrillic `о`, Greek `ο`: Unicode's
/// confusables skeleton, UTS #39), without invisible characters,
/// lower-cased, each run of whitespace one space. So `ＩＧＮＯＲＥ`,
/// `ig\u{200B}nore`, `іgnоrе` and `IGNORE\n  previous` all read `ignore previous`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    // Each distinct letter's skeleton is looked up once.
    let mut skeletons: HashMap<char, Option<String>> = HashMap::new();
    let mut push = |c: char, out: &mut String| {
        if c.is_whitespace() {
            space = true;
            return;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            return;
        }
        let skeleton = skeletons.entry(c).or_insert_with(|| {
            let mut one = [0; 4];
            let skeleton: String = unicode_security::skeleton(c.encode_utf8(&mut one)).collect();
            let ascii = !skeleton.is_empty() && skeleton.chars().all(|s| s.is_ascii_graphic());
            ascii.then(|| skeleton.to_ascii_lowercase())
        });
        match skeleton {
            Some(ascii) => out.push_str(ascii),
            None => out.extend(c.to_lowercase()),
        }
    };
    if text.is_ascii() {
        // NFKC leaves ASCII as it is; only its controls are invisible.
        for c in text
            .chars()
            .filter(|c| !c.is_ascii_control() || c.is_whitespace())
        {
            push(c, &mut out);
        }
    } else {
        for c in text
            .nfkc()
            .filter(|c| !is_invisible(*c) || c.is_whitespace())
        {
            push(c, &mut out);
        }
    }
    out
}

/// `text` cut to at most `most` characters, with `…` where it was cut.
pub(crate) fn at_most(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Characters `from..to` of `text` with some context either side, made
/// [`visible`], at most [`SHOWN`] of its own characters, with `…` where
/// it was cut.
pub(crate) fn window(text: &str, from: usize, to: usize) -> String {
    let count = text.chars().count();
    let to = to.min(from + SHOWN).min(count);
    let start = from.saturating_sub(CONTEXT);
    let end = (to + CONTEXT).min(count);
    let inner: String = text.chars().skip(start).take(end - start).collect();
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&visible(&inner));
    if end < count {
        out.push('…');
    }
    out
}

/// The character index of byte `at` in `text`.
pub(crate) fn char_index(text: &str, at: usize) -> usize {
    text[..at].chars().count()
}

/// `from` characters into `text`, the rest (at most [`SHOWN`] characters), made visible.
pub(crate) fn excerpt(text: &str, from: usize) -> String {
    let rest: String = text.chars().skip(from).take(SHOWN).collect();
    let more = text.chars().count() > from + SHOWN;
    format!("…{}{}", visible(&rest), if more { "…" } else { "" })
}
