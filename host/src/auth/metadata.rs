//! RFC 9728 protected-resource metadata: the document a client reads to
//! learn which authorization servers issue tokens for this resource.

use serde_json::{Value, json};

use super::config::Config;

/// The well-known path of the metadata (RFC 9728 §3); the path-suffixed
/// form appends the resource's path (§3.1).
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The paths the metadata is served at: the bare well-known path, and
/// with the resource's path appended (plus `/mcp`, where moat serves MCP,
/// for a resource URI whose path differs, e.g. behind a proxy).
pub fn paths(config: &Config) -> Vec<String> {
    let mut paths = vec![WELL_KNOWN.to_owned()];
    for suffix in [config.resource.path().trim_end_matches('/'), "/mcp"] {
        let path = format!("{WELL_KNOWN}{suffix}");
        if !suffix.is_empty() && !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// The URL of the resource's metadata (RFC 9728 §3.1): the well-known
/// path inserted before the resource's path.
pub fn url(config: &Config) -> String {
    let mut url = config.resource.clone();
    let path = config.resource.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{WELL_KNOWN}{path}"));
    url.set_query(None);
    url.to_string()
}

/// The metadata document.
pub fn document(config: &Config) -> Value {
    let servers: Vec<&str> = config.servers.iter().map(|s| s.issuer.as_str()).collect();
    json!({
        "resource": config.resource.as_str(),
        "authorization_servers": servers,
        "scopes_supported": config.scopes,
        "bearer_methods_supported": ["header"],
    })
}
