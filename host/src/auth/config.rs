//! The `--auth FILE` configuration: which resource this server is, which
//! authorization servers it trusts, and how it checks their tokens.
//!
//! ```toml
//! resource = "https://mcp.example.com/mcp"
//! scopes = ["mcp:tools"]
//!
//! [[authorization_server]]
//! issuer = "https://login.example.com"
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use url::Url;

/// The clock skew allowed on `exp` and `nbf` by default: a token is accepted
/// up to this long after it expired, or before it becomes valid.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest `leeway` accepted. A larger skew would keep an expired (and
/// perhaps stolen) token usable for longer than its issuer meant.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// How often, at most, an unknown `kid` makes moat fetch an authorization
/// server's keys again. Stops a flood of tokens with random `kid`s turning
/// into a flood of requests to the authorization server.
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// The algorithms accepted when `algorithms` is not given: the asymmetric
/// ones `jsonwebtoken` verifies.
pub const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    resource: String,
    #[serde(default)]
    scopes: Vec<String>,
    leeway: Option<String>,
    jwks_refetch_interval: Option<String>,
    #[serde(default)]
    authorization_server: Vec<ServerFile>,
    introspection: Option<IntrospectionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    issuer: String,
    algorithms: Option<Vec<String>>,
    jwks_uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntrospectionFile {
    endpoint: String,
    client_id: String,
    client_secret_file: PathBuf,
}

/// The configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// This server's canonical URI (RFC 8707), parsed.
    pub resource: Url,
    /// The same URI as written: the audience tokens must name, exactly.
    pub resource_id: String,
    /// The scopes advertised, and asked for in a 401.
    pub scopes: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// How often, at most, an unknown `kid` refetches a key set.
    pub refetch_interval: Duration,
    /// The trusted authorization servers.
    pub servers: Vec<ServerConfig>,
    /// Where opaque (non-JWT) tokens are checked, if anywhere.
    pub introspection: Option<IntrospectionConfig>,
}

/// One trusted authorization server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Its issuer identifier, compared exactly with a token's `iss`.
    pub issuer: String,
    /// The signing algorithms accepted from it.
    pub algorithms: Vec<Algorithm>,
    /// Its key set, if given (else discovered from its metadata).
    pub jwks_uri: Option<Url>,
}

/// RFC 7662 token introspection.
#[derive(Debug, Clone)]
pub struct IntrospectionConfig {
    /// The introspection endpoint.
    pub endpoint: Url,
    /// The client moat authenticates as.
    pub client_id: String,
    /// That client's secret.
    pub client_secret: String,
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the --auth file {}", path.display()))?;
        Self::parse(&text, path.parent().unwrap_or(Path::new(".")))
            .with_context(|| format!("in the --auth file {}", path.display()))
    }

    /// Checks `text`; relative paths in it are relative to `dir`.
    pub fn parse(text: &str, dir: &Path) -> anyhow::Result<Config> {
        let file: File = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        let resource = resource(&file.resource)?;
        if file.authorization_server.is_empty() {
            bail!(
                "`authorization_server`: give at least one [[authorization_server]] with its `issuer`"
            );
        }
        let servers = file
            .authorization_server
            .into_iter()
            .map(server)
            .collect::<anyhow::Result<Vec<_>>>()?;
        for (i, server) in servers.iter().enumerate() {
            if servers[..i].iter().any(|s| s.issuer == server.issuer) {
                bail!(
                    "`authorization_server.issuer`: {} is given twice",
                    server.issuer
                );
            }
        }
        if let Some(scope) = file.scopes.iter().find(|s| !is_scope_token(s)) {
            bail!(
                "`scopes`: {scope:?} is not a scope (RFC 6749 §3.3: printable ASCII, no spaces, quotes or backslashes)"
            );
        }
        let leeway = duration("leeway", file.leeway.as_deref(), DEFAULT_LEEWAY)?;
        if leeway > MAX_LEEWAY {
            bail!(
                "`leeway`: {} is more than the {} allowed: a long skew keeps expired tokens usable",
                humantime::format_duration(leeway),
                humantime::format_duration(MAX_LEEWAY)
            );
        }
        let refetch_interval = duration(
            "jwks_refetch_interval",
            file.jwks_refetch_interval.as_deref(),
            DEFAULT_REFETCH_INTERVAL,
        )?;
        if refetch_interval < Duration::from_secs(1) {
            bail!("`jwks_refetch_interval`: must be at least 1s");
        }
        let introspection = file
            .introspection
            .map(|i| introspection(i, dir))
            .transpose()?;
        Ok(Config {
            resource,
            resource_id: file.resource,
            scopes: file.scopes,
            leeway,
            refetch_interval,
            servers,
            introspection,
        })
    }
}

/// A scope token (RFC 6749 §3.3), also safe inside a quoted header value.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == b'!' || (b'#'..=b'[').contains(&b) || (b']'..=b'~').contains(&b))
}

fn duration(key: &str, text: Option<&str>, default: Duration) -> anyhow::Result<Duration> {
    match text {
        None => Ok(default),
        Some(text) => humantime::parse_duration(text).map_err(|e| {
            anyhow::anyhow!("`{key}`: {text:?} is not a duration such as \"60s\": {e}")
        }),
    }
}

fn resource(text: &str) -> anyhow::Result<Url> {
    let url = Url::parse(text).map_err(|e| {
        anyhow::anyhow!("`resource`: {text:?} is not an absolute URI ({e}); give this server's canonical URI, e.g. \"https://mcp.example.com/mcp\"")
    })?;
    if url.fragment().is_some() {
        bail!("`resource`: {text:?} has a fragment, which RFC 8707 forbids");
    }
    secure_url("resource", &url)?;
    Ok(url)
}

/// `https`, or `http` to a loopback host only: anything else lets whoever
/// is on the path read or change what moat relies on.
pub fn secure_url(key: &str, url: &Url) -> anyhow::Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => bail!("`{key}`: {url} is plain http off loopback: use https"),
        other => bail!("`{key}`: {url} has the scheme {other:?}: use https"),
    }
}

/// Whether `url`'s host is this machine: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn server(file: ServerFile) -> anyhow::Result<ServerConfig> {
    let issuer_url = Url::parse(&file.issuer).map_err(|e| {
        anyhow::anyhow!(
            "`authorization_server.issuer`: {:?} is not a URL ({e})",
            file.issuer
        )
    })?;
    secure_url("authorization_server.issuer", &issuer_url)?;
    if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
        bail!(
            "`authorization_server.issuer`: {:?} has a query or fragment, which RFC 8414 forbids",
            file.issuer
        );
    }
    let algorithms = match file.algorithms {
        None => DEFAULT_ALGORITHMS.to_vec(),
        Some(names) if names.is_empty() => {
            bail!(
                "`authorization_server.algorithms`: empty; leave it out for the asymmetric defaults"
            )
        }
        Some(names) => names
            .iter()
            .map(|name| algorithm(name))
            .collect::<anyhow::Result<_>>()?,
    };
    let jwks_uri = file
        .jwks_uri
        .map(|text| {
            let url = Url::parse(&text).map_err(|e| {
                anyhow::anyhow!("`authorization_server.jwks_uri`: {text:?} is not a URL ({e})")
            })?;
            secure_url("authorization_server.jwks_uri", &url)?;
            Ok::<_, anyhow::Error>(url)
        })
        .transpose()?;
    Ok(ServerConfig {
        issuer: file.issuer,
        algorithms,
        jwks_uri,
    })
}

/// An asymmetric algorithm by its JOSE name.
fn algorithm(name: &str) -> anyhow::Result<Algorithm> {
    let key = "authorization_server.algorithms";
    if name.eq_ignore_ascii_case("none") {
        bail!(
            "`{key}`: \"none\" is refused: an unsigned token proves nothing, anyone can write one"
        );
    }
    if name.to_ascii_uppercase().starts_with("HS") {
        bail!(
            "`{key}`: {name:?} is refused: an HMAC token is verified with a shared secret, and a resource server that accepts one can be fooled by a token \"signed\" with the authorization server's public key"
        );
    }
    let algorithm: Algorithm = name.parse().map_err(|_| {
        anyhow::anyhow!("`{key}`: {name:?} is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA")
    })?;
    Ok(algorithm)
}

fn introspection(file: IntrospectionFile, dir: &Path) -> anyhow::Result<IntrospectionConfig> {
    let endpoint = Url::parse(&file.endpoint).map_err(|e| {
        anyhow::anyhow!(
            "`introspection.endpoint`: {:?} is not a URL ({e})",
            file.endpoint
        )
    })?;
    secure_url("introspection.endpoint", &endpoint)?;
    let path = dir.join(&file.client_secret_file);
    let secret = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "`introspection.client_secret_file`: cannot read {}",
            path.display()
        )
    })?;
    let client_secret = secret.trim().to_owned();
    if client_secret.is_empty() {
        bail!(
            "`introspection.client_secret_file`: {} is empty",
            path.display()
        );
    }
    Ok(IntrospectionConfig {
        endpoint,
        client_id: file.client_id,
        client_secret,
    })
}
