//! [`Challenge`]: the `WWW-Authenticate` values moat answers with (RFC 6750
//! §3), each naming where the protected-resource metadata is (RFC 9728 §5.1)
//! so that a client can discover the authorization server from a 401.

use axum::http::HeaderValue;

/// Builds `WWW-Authenticate: Bearer …` values for this resource.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The metadata document's URL.
    resource_metadata: String,
    /// The scopes a client should ask for (space-separated), if any.
    scope: String,
}

impl Challenge {
    /// A challenge naming `resource_metadata` and asking for `scopes`.
    pub fn new(resource_metadata: impl Into<String>, scopes: &[String]) -> Self {
        Challenge {
            resource_metadata: resource_metadata.into(),
            scope: scopes.join(" "),
        }
    }

    /// For a 401: no token (`error` None), or one refused (`invalid_token`,
    /// `invalid_request`).
    pub fn unauthorized(&self, error: Option<&str>) -> HeaderValue {
        self.build(error, None, &self.scope)
    }

    /// For a 401 refusing a token, saying why.
    pub fn invalid_token(&self, description: &str) -> HeaderValue {
        self.build(Some("invalid_token"), Some(description), &self.scope)
    }

    /// For a 403: the token lacks `scope` (space-separated scopes).
    pub fn insufficient_scope(&self, scope: &str) -> HeaderValue {
        self.build(Some("insufficient_scope"), None, scope)
    }

    fn build(&self, error: Option<&str>, description: Option<&str>, scope: &str) -> HeaderValue {
        // The link and the scope come first: clients that scan the header
        // for `resource_metadata="` (the TypeScript SDK does) take the first
        // match, and a description may quote text from a token.
        let mut params = Vec::with_capacity(4);
        params.push(format!(
            "resource_metadata={}",
            quote(&self.resource_metadata)
        ));
        if !scope.is_empty() {
            params.push(format!("scope={}", quote(scope)));
        }
        if let Some(error) = error {
            params.push(format!("error={}", quote(error)));
        }
        if let Some(description) = description {
            params.push(format!("error_description={}", quote(description)));
        }
        let value = format!("Bearer {}", params.join(", "));
        HeaderValue::try_from(value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

/// `text` as an RFC 7230 quoted-string: `"` and `\` escaped, and anything
/// a header may not carry (controls, non-ASCII) replaced by `?`.
fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            ' '..='~' => quoted.push(c),
            _ => quoted.push('?'),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str =
        "resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\"";

    fn challenge() -> Challenge {
        let scopes = ["mcp:tools".to_owned(), "mcp:read".to_owned()];
        Challenge::new(
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
            &scopes,
        )
    }

    #[test]
    fn unauthorized_names_the_metadata_and_the_scopes() {
        assert_eq!(
            challenge().unauthorized(None),
            format!("Bearer {LINK}, scope=\"mcp:tools mcp:read\"").as_str()
        );
        assert_eq!(
            challenge().unauthorized(Some("invalid_request")),
            format!("Bearer {LINK}, scope=\"mcp:tools mcp:read\", error=\"invalid_request\"")
                .as_str()
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped_and_controls_replaced() {
        let value = challenge().invalid_token("bad \"kid\" \\ here\r\nX-Injected: 1 é");
        assert_eq!(
            value.to_str().unwrap(),
            format!(
                "Bearer {LINK}, scope=\"mcp:tools mcp:read\", error=\"invalid_token\", error_description=\"bad \\\"kid\\\" \\\\ here??X-Injected: 1 ?\""
            )
        );
    }

    #[test]
    fn insufficient_scope_asks_for_the_scope_given() {
        assert_eq!(
            challenge().insufficient_scope("admin \"x\""),
            format!("Bearer {LINK}, scope=\"admin \\\"x\\\"\", error=\"insufficient_scope\"")
                .as_str()
        );
    }

    #[test]
    fn no_scopes_means_no_scope_parameter() {
        let challenge = Challenge::new(
            "http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp",
            &[],
        );
        let value = challenge.unauthorized(None);
        assert!(!value.to_str().unwrap().contains("scope="));
    }
}
