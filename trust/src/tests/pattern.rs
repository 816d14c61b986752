//! Repository pattern parsing and matching edge cases.

use crate::pattern::{Pattern, same_repository};

fn matches(pattern: &str, repository: &str) -> bool {
    Pattern::parse(pattern)
        .expect("a valid pattern")
        .matches(repository)
}

#[test]
fn a_prefix_matches_any_depth_below_it_and_nothing_else() {
    let p = "127.0.0.1:5000/a/b/*";
    assert!(matches(p, "127.0.0.1:5000/a/b/c"));
    assert!(matches(p, "127.0.0.1:5000/a/b/c/d"));
    for outside in [
        "127.0.0.1:5000/a/b",
        "127.0.0.1:5000/a/bc",
        "127.0.0.1:5000/a/bc/d",
        "127.0.0.1:5000/a/b/../x",
        "127.0.0.1:5000/a/b/./c",
        "127.0.0.1:5000/a/b//c",
        "127.0.0.1:5000/a/b/c/",
        "127.0.0.1:5000/a/b/",
        "127.0.0.1:5000//a/b/c",
        "127.0.0.1:5000/a/b/%2e%2e/x",
        "127.0.0.1:5000/A/b/c",
        "127.0.0.1:5001/a/b/c",
        "127.0.0.1/a/b/c",
        "127.0.0.1:5000/a/b/c:tag",
        "127.0.0.1:5000/a/b/c@sha256:00",
        "127.0.0.1:5000/a/b/c\n",
        " 127.0.0.1:5000/a/b/c",
        "",
    ] {
        assert!(!matches(p, outside), "{outside:?} matched {p}");
    }
}

#[test]
fn an_exact_pattern_matches_only_itself() {
    let p = "ghcr.io/acme/math";
    assert!(matches(p, "ghcr.io/acme/math"));
    assert!(matches(p, "GHCR.IO/acme/math"));
    for other in [
        "ghcr.io/acme/Math",
        "ghcr.io/acme/math/x",
        "ghcr.io/acme/mat",
        "ghcr.io/acme/math/",
        "ghcr.io/acme",
    ] {
        assert!(!matches(p, other), "{other:?} matched {p}");
    }
}

#[test]
fn the_registry_compares_without_case() {
    assert!(matches("GHCR.io/acme/*", "ghcr.IO/acme/x"));
    assert!(matches("localhost:5000/*", "LocalHost:5000/any/depth/x"));
    assert!(!matches("localhost:5000/*", "localhost/x"));
    assert!(matches("[::1]:5000/moat/*", "[::1]:5000/moat/math"));
}

#[test]
fn a_registry_wide_pattern_needs_a_registry() {
    assert!(matches("ghcr.io/*", "ghcr.io/acme/math"));
    assert!(!matches("ghcr.io/*", "ghcr.io.evil.com/acme/math"));
    assert!(!matches("ghcr.io/*", "evil.com/ghcr.io/acme"));
}

#[test]
fn malformed_patterns_are_refused_with_the_reason() {
    for (pattern, reason) in [
        ("", "empty"),
        ("*", "'*'"),
        ("ghcr.io/acme/*/x", "'*'"),
        ("ghcr.io/acme*", "'*'"),
        ("ghcr.io/acme/**", "'*'"),
        ("ghcr.io/*/math", "'*'"),
        ("acme/math", "registry"),
        ("acme/*", "registry"),
        ("ghcr.io", "registry"),
        ("/acme/math", "registry"),
        ("ghcr.io/acme/../x", "segment"),
        ("ghcr.io/acme//x", "segment"),
        ("ghcr.io/acme/", "segment"),
        ("ghcr.io/", "segment"),
        ("ghcr.io/ac me", "segment"),
        ("ghcr.io:99999999/acme", "registry"),
    ] {
        let err = Pattern::parse(pattern).expect_err(pattern);
        assert!(err.contains(reason), "{pattern:?}: {err}");
    }
}

#[test]
fn same_repository_is_exact_on_the_path() {
    assert!(same_repository("Ghcr.io/acme/math", "ghcr.io/acme/math"));
    assert!(!same_repository("ghcr.io/acme/math", "ghcr.io/acme/Math"));
    assert!(!same_repository(
        "ghcr.io/acme/../acme/math",
        "ghcr.io/acme/math"
    ));
    assert!(!same_repository("", ""));
}
