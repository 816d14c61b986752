//! Repository names and the patterns a trust policy writes for them.
//!
//! A repository is `REGISTRY/PATH`, e.g. `127.0.0.1:5000/moat/math`. A pattern
//! is either a repository (matches exactly that one) or a repository prefix
//! followed by `/*` (matches every repository below it, at any depth).
//!
//! # The rule, and the attacks it stops
//! - The registry (host and optional port) compares case-insensitively, as DNS
//!   does: `GHCR.io` is `ghcr.io`. The path compares byte for byte,
//!   case-sensitively: registries treat `acme/Math` and `acme/math` as two
//!   repositories, possibly owned by two people, so a key trusted for one is
//!   not trusted for the other.
//! - Nothing is normalised. Every path segment must be non-empty, start and
//!   end with a letter or digit, and hold only letters, digits, `.`, `_` and
//!   `-`. So `a/b/../x`, `a/b/./c`, `a//b`, `a/b/` and `a/%2e%2e/x` are not
//!   repository names at all and match no pattern: a registry or proxy that
//!   *did* normalise them cannot turn a name outside `a/b/*` into one inside
//!   it, nor one inside into one outside.
//! - `a/b/*` matches `a/b/c` and `a/b/c/d` but not `a/b` itself (write both if
//!   both are meant) and not `a/bc` (the prefix ends at a `/`, so a key for
//!   `acme/*` does not sign for `acme-evil/x`).
//! - `*` is only allowed as a final `/*`; a pattern needs a registry part (a
//!   host with a `.` or a `:`, or `localhost`), so `acme/math` is refused
//!   instead of being guessed to mean Docker Hub.

/// A parsed repository pattern (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// The registry, lowercased.
    registry: String,
    /// The path (exact), or the prefix before `/*` (empty for `REGISTRY/*`).
    path: String,
    /// Whether the pattern ends in `/*`.
    prefix: bool,
}

impl Pattern {
    /// Parses a pattern, or says what is wrong with it.
    pub(crate) fn parse(text: &str) -> Result<Pattern, String> {
        if text.is_empty() {
            return Err("is empty".into());
        }
        let (body, prefix) = match text.strip_suffix("/*") {
            Some(body) => (body, true),
            None => (text, false),
        };
        if body.contains('*') {
            return Err("uses '*' other than as a final \"/*\"".into());
        }
        let (registry, path) = match body.split_once('/') {
            Some((registry, path)) => (registry, path),
            None if prefix => (body, ""),
            None => {
                return Err(
                    "has no registry part (write REGISTRY/REPOSITORY, e.g. ghcr.io/acme/math)"
                        .into(),
                );
            }
        };
        if !is_registry(registry) {
            return Err(format!(
                "has no registry part: {registry:?} is not a registry host \
                 (it needs a '.' or a ':port', or is localhost; e.g. docker.io/{body})"
            ));
        }
        let registry_wide = prefix && path.is_empty();
        if !(registry_wide || is_path(path)) {
            return Err(
                "has an empty, '.' or '..' path segment, or characters outside \
                 letters, digits, '.', '_', '-'"
                    .into(),
            );
        }
        Ok(Pattern {
            registry: registry.to_ascii_lowercase(),
            path: path.to_owned(),
            prefix,
        })
    }

    /// Whether `repository` matches this pattern. A malformed repository
    /// matches nothing.
    pub(crate) fn matches(&self, repository: &str) -> bool {
        let Some((registry, path)) = split(repository) else {
            return false;
        };
        if !registry.eq_ignore_ascii_case(&self.registry) {
            return false;
        }
        if !self.prefix {
            return path == self.path;
        }
        if self.path.is_empty() {
            return true;
        }
        path.strip_prefix(self.path.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Whether two repository names are the same repository (registry
/// case-insensitive, path exact). Malformed names are never the same.
pub(crate) fn same_repository(a: &str, b: &str) -> bool {
    match (split(a), split(b)) {
        (Some((ra, pa)), Some((rb, pb))) => ra.eq_ignore_ascii_case(rb) && pa == pb,
        _ => false,
    }
}

/// Splits a well-formed `REGISTRY/PATH` into its two parts.
fn split(repository: &str) -> Option<(&str, &str)> {
    let (registry, path) = repository.split_once('/')?;
    (is_registry(registry) && is_path(path)).then_some((registry, path))
}

/// `HOST[:PORT]` where HOST is a DNS name or IPv4 address with a `.`, or
/// `localhost`, or a bracketed IPv6 address; or any of these with a port.
fn is_registry(registry: &str) -> bool {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, _)) if !host.ends_with(']') && host.contains(':') => (registry, None),
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    let labels_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    labels_ok && (host.contains('.') || port.is_some() || host.eq_ignore_ascii_case("localhost"))
}

/// One or more `/`-separated segments, each starting and ending with a letter
/// or digit and holding only letters, digits, `.`, `_` and `-`.
fn is_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            let bytes = segment.as_bytes();
            match (bytes.first(), bytes.last()) {
                (Some(first), Some(last)) => {
                    first.is_ascii_alphanumeric()
                        && last.is_ascii_alphanumeric()
                        && bytes
                            .iter()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                }
                _ => false,
            }
        })
}
