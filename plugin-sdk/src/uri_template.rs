//! Matching a URI against an RFC 6570 template of simple `{var}`
//! expressions (level 1), e.g. `test://template/{id}/data`.
//!
//! Simple expansion percent-encodes every character but the unreserved ones
//! (`A-Z a-z 0-9 - . _ ~`), so a well-formed value never contains `/`, `?`
//! or `#`. Clients are not always so careful with the other reserved
//! characters (an `@` in an e-mail address, a `:`), so a variable matches a
//! non-empty run of any characters but `/`, `?`, `#`, spaces and controls,
//! which is then percent-decoded. The host routes `resources/read` by the
//! same rule. Operators (`{+var}`, `{/var}`, `{?x,y}`...), lists and
//! modifiers are not supported.

use std::collections::BTreeMap;

/// One piece of a parsed template.
#[derive(Debug, PartialEq)]
pub(crate) enum Part<'a> {
    Literal(&'a str),
    Var(&'a str),
}

/// Splits `template` into literals and variables, or says what is wrong
/// with it.
pub(crate) fn parse(template: &str) -> Result<Vec<Part<'_>>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        if open > 0 {
            parts.push(Part::Literal(&rest[..open]));
        }
        let close = rest[open..].find('}').ok_or("a `{` without its `}`")? + open;
        let name = &rest[open + 1..close];
        let simple = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !simple {
            return Err(format!(
                "`{{{name}}}` is not a simple `{{name}}` expression, the only kind supported"
            ));
        }
        if matches!(parts.last(), Some(Part::Var(_))) {
            return Err(format!(
                "`{{{name}}}` follows another variable with nothing between them"
            ));
        }
        parts.push(Part::Var(name));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Ok(parts)
}

/// The variables of `uri` if it matches `parts`, percent-decoded.
pub(crate) fn matches(parts: &[Part<'_>], uri: &str) -> Option<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    match_from(parts, uri, &mut vars).then_some(vars)
}

fn match_from(parts: &[Part<'_>], uri: &str, vars: &mut BTreeMap<String, String>) -> bool {
    match parts.split_first() {
        None => uri.is_empty(),
        Some((Part::Literal(literal), rest)) => uri
            .strip_prefix(literal)
            .is_some_and(|uri| match_from(rest, uri, vars)),
        Some((Part::Var(name), rest)) => {
            let run = uri.find(ends_a_value).unwrap_or(uri.len());
            // Longest value first; a shorter one only if the rest needs it
            // (as in `{name}.txt`, where `.` may end the value).
            let ends = uri[..run]
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .rev();
            for end in ends {
                if let Some(value) = percent_decode(&uri[..end])
                    && match_from(rest, &uri[end..], vars)
                {
                    vars.insert((*name).to_owned(), value);
                    return true;
                }
            }
            false
        }
    }
}

/// The delimiters of a URI's path, query and fragment, and what may not
/// appear in a URI at all.
fn ends_a_value(c: char) -> bool {
    matches!(c, '/' | '?' | '#') || c.is_whitespace() || c.is_control()
}

/// Decodes `%XX` escapes; `None` if one is malformed or the bytes are not
/// UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        let parts = parse(template).unwrap();
        matches(&parts, uri).map(|vars| vars.into_iter().collect())
    }

    fn one(name: &str, value: &str) -> Option<Vec<(String, String)>> {
        Some(vec![(name.into(), value.into())])
    }

    #[test]
    fn matches_a_variable_between_literals() {
        let template = "test://template/{id}/data";
        assert_eq!(vars(template, "test://template/123/data"), one("id", "123"));
        assert_eq!(vars(template, "test://template//data"), None);
        assert_eq!(vars(template, "test://template/1/2/data"), None);
        assert_eq!(vars(template, "test://template/123/data/more"), None);
        assert_eq!(vars(template, "test://other/123/data"), None);
    }

    #[test]
    fn a_variable_may_end_the_template() {
        assert_eq!(vars("users://{name}", "users://ada"), one("name", "ada"));
        assert_eq!(vars("users://{name}", "users://ada/x"), None);
    }

    #[test]
    fn backtracks_over_unreserved_literals() {
        assert_eq!(
            vars("file://{name}.txt", "file://notes.old.txt"),
            one("name", "notes.old")
        );
        assert_eq!(
            vars("x://{a}-{b}", "x://1-2-3"),
            Some(vec![("a".into(), "1-2".into()), ("b".into(), "3".into())])
        );
    }

    #[test]
    fn values_may_hold_reserved_characters_but_delimiters() {
        assert_eq!(
            vars("m://{to}", "m://ada@example.com"),
            one("to", "ada@example.com")
        );
        assert_eq!(vars("m://{to}/x", "m://a?b/x"), None);
        assert_eq!(vars("m://{to}", "m://a#b"), None);
    }

    #[test]
    fn values_are_percent_decoded() {
        assert_eq!(vars("q://{text}", "q://a%20b%2Fc"), one("text", "a b/c"));
        assert_eq!(vars("q://{text}", "q://caf%C3%A9"), one("text", "café"));
        assert_eq!(vars("q://{text}", "q://bad%2"), None);
        assert_eq!(vars("q://{text}", "q://bad%FF"), None);
    }

    #[test]
    fn only_simple_expressions_parse() {
        for bad in [
            "a://{+x}",
            "a://{/x}",
            "a://{?x,y}",
            "a://{x*}",
            "a://{}",
            "a://{x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("a://x}").is_err());
        assert!(parse("a://{x}{y}").is_err());
        assert_eq!(
            parse("a://{x.y}/b").unwrap(),
            [Part::Literal("a://"), Part::Var("x.y"), Part::Literal("/b")]
        );
    }
}
