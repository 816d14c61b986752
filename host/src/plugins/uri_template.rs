//! Matching a URI against an RFC 6570 template of simple `{name}`
//! expressions, to route `resources/read` to the plugin whose template
//! covers the URI.

/// Whether `uri` is an expansion of `template`: each `{name}` stands for
/// one or more characters other than `/`, `?` and `#`, and everything
/// else must match literally.
pub fn matches(template: &str, uri: &str) -> bool {
    let Some((literal, rest)) = template.split_once('{') else {
        return template == uri;
    };
    let Some(uri) = uri.strip_prefix(literal) else {
        return false;
    };
    let Some((_name, after)) = rest.split_once('}') else {
        return false;
    };
    // The value runs to the next delimiter; try every end, shortest first,
    // so that `{a}-{b}` matches `x-y-z`.
    let ends = uri
        .char_indices()
        .take_while(|(_, c)| !matches!(c, '/' | '?' | '#'))
        .map(|(i, c)| i + c.len_utf8());
    ends.into_iter().any(|end| matches(after, &uri[end..]))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn variables_match_one_segment() {
        assert!(matches(
            "test://template/{id}/data",
            "test://template/123/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template//data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/1/2/data"
        ));
        assert!(matches("file:///{name}.txt", "file:///notes.txt"));
        assert!(matches("x://{a}-{b}", "x://1-2-3"));
        assert!(matches("test://static", "test://static"));
        assert!(!matches("test://static", "test://static/more"));
    }
}
