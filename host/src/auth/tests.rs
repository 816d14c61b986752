//! Unit tests of the `--auth` file's checks.

use std::path::Path;

use super::config::{Config, DEFAULT_ALGORITHMS, DEFAULT_LEEWAY};
use super::jwks::metadata_urls;
use super::metadata;

const SERVER: &str = "[[authorization_server]]\nissuer = \"https://login.example.com\"\n";

fn parse(text: &str) -> anyhow::Result<Config> {
    Config::parse(text, Path::new("."))
}

fn error(text: &str) -> String {
    format!("{:#}", parse(text).expect_err("the file should be refused"))
}

#[test]
fn a_minimal_file_gets_the_defaults() {
    let config = parse(&format!(
        "resource = \"https://mcp.example.com/mcp\"\n{SERVER}"
    ))
    .unwrap();
    assert_eq!(config.resource_id, "https://mcp.example.com/mcp");
    assert_eq!(config.leeway, DEFAULT_LEEWAY);
    assert_eq!(config.servers[0].algorithms, DEFAULT_ALGORITHMS.to_vec());
    assert_eq!(
        metadata::url(&config),
        "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
    );
    assert_eq!(
        metadata::paths(&config),
        [
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp"
        ]
    );
}

#[test]
fn unknown_keys_are_named() {
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\nscope = []\n{SERVER}"
    ));
    assert!(message.contains("scope"), "{message}");
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\n{SERVER}audience = \"x\"\n"
    ));
    assert!(message.contains("audience"), "{message}");
}

#[test]
fn the_resource_must_be_https_or_loopback_and_have_no_fragment() {
    let message = error(&format!(
        "resource = \"http://mcp.example.com/mcp\"\n{SERVER}"
    ));
    assert!(
        message.contains("`resource`") && message.contains("https"),
        "{message}"
    );
    let message = error(&format!(
        "resource = \"https://mcp.example.com/mcp#x\"\n{SERVER}"
    ));
    assert!(message.contains("fragment"), "{message}");
    let message = error(&format!("resource = \"mcp\"\n{SERVER}"));
    assert!(message.contains("absolute"), "{message}");
    assert!(
        parse(&format!(
            "resource = \"http://127.0.0.1:8080/mcp\"\n{SERVER}"
        ))
        .is_ok()
    );
    assert!(
        parse(&format!(
            "resource = \"http://localhost:8080/mcp\"\n{SERVER}"
        ))
        .is_ok()
    );
}

#[test]
fn none_and_hmac_are_refused_with_the_reason() {
    for (alg, why) in [
        ("none", "unsigned"),
        ("HS256", "public key"),
        ("hs512", "public key"),
    ] {
        let message = error(&format!(
            "resource = \"https://a.example/mcp\"\n{SERVER}algorithms = [\"RS256\", \"{alg}\"]\n"
        ));
        assert!(
            message.contains("algorithms") && message.contains(why),
            "{alg}: {message}"
        );
    }
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\n{SERVER}algorithms = [\"RS999\"]\n"
    ));
    assert!(message.contains("RS999"), "{message}");
}

#[test]
fn an_issuer_is_required_secure_and_given_once() {
    let message = error("resource = \"https://a.example/mcp\"\n");
    assert!(message.contains("authorization_server"), "{message}");
    let message = error(
        "resource = \"https://a.example/mcp\"\n[[authorization_server]]\nissuer = \"http://login.example.com\"\n",
    );
    assert!(
        message.contains("issuer") && message.contains("https"),
        "{message}"
    );
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\n{SERVER}{SERVER}"
    ));
    assert!(message.contains("twice"), "{message}");
}

#[test]
fn leeway_is_bounded_and_scopes_are_tokens() {
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\nleeway = \"1h\"\n{SERVER}"
    ));
    assert!(message.contains("leeway"), "{message}");
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\nleeway = \"soon\"\n{SERVER}"
    ));
    assert!(message.contains("leeway"), "{message}");
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\nscopes = [\"a b\"]\n{SERVER}"
    ));
    assert!(message.contains("scopes"), "{message}");
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\nscopes = [\"a\\\"b\"]\n{SERVER}"
    ));
    assert!(message.contains("scopes"), "{message}");
}

#[test]
fn introspection_needs_its_secret_file() {
    let message = error(&format!(
        "resource = \"https://a.example/mcp\"\n{SERVER}[introspection]\nendpoint = \"https://login.example.com/introspect\"\nclient_id = \"moat\"\nclient_secret_file = \"/nonexistent/secret\"\n"
    ));
    assert!(message.contains("client_secret_file"), "{message}");
}

#[test]
fn metadata_discovery_inserts_the_well_known_path() {
    let urls: Vec<String> = metadata_urls("https://login.example.com/tenant1")
        .unwrap()
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(
        urls,
        [
            "https://login.example.com/.well-known/oauth-authorization-server/tenant1",
            "https://login.example.com/.well-known/openid-configuration/tenant1",
            "https://login.example.com/tenant1/.well-known/openid-configuration",
        ]
    );
    let urls = metadata_urls("http://127.0.0.1:9000").unwrap();
    assert_eq!(
        urls[0].as_str(),
        "http://127.0.0.1:9000/.well-known/oauth-authorization-server"
    );
    assert_eq!(
        urls[1].as_str(),
        "http://127.0.0.1:9000/.well-known/openid-configuration"
    );
    assert_eq!(urls.len(), 2);
}
