//! What `moat pull` is asked to fetch: an OCI reference
//! (`oci://REGISTRY/REPO:TAG`, `…@sha256:HEX`, or both) or a plain URL with
//! its SHA-256 pinned (`https://HOST/PATH#sha256=HEX`), the plugin name it
//! gives, and whether its host is loopback (the only hosts plain HTTP may
//! reach).

use std::fmt;
use std::net::IpAddr;

use anyhow::{Context as _, anyhow, bail, ensure};

/// One reference as the operator typed it, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A component in an OCI registry.
    Oci(OciReference),
    /// A component at a URL, its bytes pinned by SHA-256.
    Url(UrlReference),
}

/// `oci://REGISTRY/REPO[:TAG][@sha256:HEX]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OciReference {
    /// As typed, e.g. `oci://127.0.0.1:5000/moat/math:1.0` (recorded in the lock).
    pub text: String,
    /// `HOST[:PORT]`, e.g. `127.0.0.1:5000`.
    pub registry: String,
    /// The repository inside the registry, e.g. `moat/math`.
    pub repository: String,
    /// The tag, if one is named.
    pub tag: Option<String>,
    /// The manifest digest `sha256:HEX`, if one is named.
    pub digest: Option<String>,
}

/// `https://HOST/PATH#sha256=HEX` (or `http://` to a loopback host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlReference {
    /// As typed (recorded in the lock).
    pub text: String,
    /// The URL to fetch, without the fragment.
    pub url: url::Url,
    /// The pinned `sha256:HEX` of the component's bytes.
    pub digest: String,
}

impl Reference {
    /// Parses `oci://…`, `https://…#sha256=HEX` or `http://…#sha256=HEX`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        if let Some(rest) = text.strip_prefix("oci://") {
            return OciReference::parse(text, rest).map(Reference::Oci);
        }
        if text.starts_with("https://") || text.starts_with("http://") {
            return UrlReference::parse(text).map(Reference::Url);
        }
        bail!(
            "not a reference moat pulls: expected oci://REGISTRY/REPO:TAG or https://HOST/PATH#sha256=HEX"
        )
    }

    /// The reference as typed.
    pub fn text(&self) -> &str {
        match self {
            Reference::Oci(oci) => &oci.text,
            Reference::Url(url) => &url.text,
        }
    }

    /// The plugin name it gives: the repository's last segment
    /// (`moat/math` → `math`) or the URL file's stem (`math.wasm` → `math`).
    pub fn default_name(&self) -> anyhow::Result<String> {
        let name = match self {
            Reference::Oci(oci) => oci.repository.rsplit('/').next().unwrap_or_default(),
            Reference::Url(url) => {
                let file = url.url.path().rsplit('/').next().unwrap_or_default();
                file.strip_suffix(".wasm").unwrap_or(file)
            }
        };
        check_name(name)
            .with_context(|| format!("cannot name the plugin from {}; give --name", self.text()))?;
        Ok(name.to_owned())
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

impl OciReference {
    fn parse(text: &str, rest: &str) -> anyhow::Result<Self> {
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| anyhow!("no repository: expected oci://REGISTRY/REPO:TAG"))?;
        // A registry is named in full: no Docker Hub default, no guessing.
        ensure!(
            registry.contains(['.', ':']) || registry == "localhost",
            "`{registry}` is not a registry host: name it in full, e.g. oci://ghcr.io/{rest}"
        );
        host_of(registry)?;
        let (path, digest) = match path.split_once('@') {
            Some((path, digest)) => (path, Some(parse_digest(digest)?)),
            None => (path, None),
        };
        // A tag follows the last `:` of the last segment.
        let last = path.rfind('/').map_or(0, |slash| slash + 1);
        let (repository, tag) = match path[last..].find(':') {
            Some(colon) => (&path[..last + colon], Some(&path[last + colon + 1..])),
            None => (path, None),
        };
        ensure!(
            tag.is_some() || digest.is_some(),
            "no tag or digest: expected oci://{registry}/{repository}:TAG or @sha256:HEX"
        );
        check_repository(repository)?;
        if let Some(tag) = tag {
            check_tag(tag)?;
        }
        Ok(Self {
            text: text.to_owned(),
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: tag.map(str::to_owned),
            digest,
        })
    }

    /// `REGISTRY/REPO`, as the trust policy names repositories.
    pub fn repository_path(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// Whether the registry is on this machine (127.0.0.0/8, ::1, `localhost`).
    pub fn is_loopback(&self) -> bool {
        host_of(&self.registry).is_ok_and(|host| is_loopback(&host))
    }

    /// The same repository at `digest`, for a pull at a locked digest.
    pub fn at_digest(&self, digest: &str) -> Self {
        Self {
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }
}

impl UrlReference {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut url = url::Url::parse(text).context("not a URL")?;
        let fragment = url.fragment().unwrap_or_default();
        let pinned = fragment.strip_prefix("sha256=").ok_or_else(|| {
            anyhow!("no pinned digest: a URL is pulled only as https://HOST/PATH#sha256=HEX")
        })?;
        let digest = parse_digest(&format!("sha256:{pinned}"))?;
        url.set_fragment(None);
        ensure!(
            url.host().is_some() && url.username().is_empty() && url.password().is_none(),
            "a URL to pull names a host and no credentials"
        );
        Ok(Self {
            text: text.to_owned(),
            url,
            digest,
        })
    }

    /// Whether the URL's host is on this machine.
    pub fn is_loopback(&self) -> bool {
        self.url
            .host()
            .is_some_and(|host| is_loopback(&host.to_owned()))
    }
}

/// Whether a plugin name is a plain file stem: ASCII letters, digits, `-`
/// and `_`, at most 64, not starting with `-`. Stops `--name ../x` (or a
/// repository named so) from writing outside the plugin directory.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ensure!(
        plain && !name.is_empty() && name.len() <= 64 && !name.starts_with('-'),
        "`{name}` is not a plugin name (ASCII letters, digits, `-` and `_`, at most 64)"
    );
    Ok(())
}

/// `sha256:` and 64 lower-case hex digits; the only digest moat accepts.
pub fn parse_digest(digest: &str) -> anyhow::Result<String> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| anyhow!("`{digest}` is not a sha256 digest (sha256:HEX)"))?;
    ensure!(
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "`{digest}` is not a sha256 digest: expected 64 lower-case hex digits"
    );
    Ok(digest.to_owned())
}

/// The host of `HOST[:PORT]`, parsed as a URL parses it (so `127.1` is
/// `127.0.0.1`, as the connection would be).
fn host_of(registry: &str) -> anyhow::Result<url::Host> {
    let url = url::Url::parse(&format!("http://{registry}/"))
        .map_err(|error| anyhow!("`{registry}` is not a registry host: {error}"))?;
    ensure!(
        url.path() == "/" && url.username().is_empty() && url.password().is_none(),
        "`{registry}` is not a registry host"
    );
    url.host()
        .map(|host| host.to_owned())
        .ok_or_else(|| anyhow!("`{registry}` is not a registry host"))
}

/// Whether `host` is this machine: 127.0.0.0/8, `::1` or `localhost`
/// (exactly: `localhost.evil.com` is a domain like any other).
pub fn is_loopback<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(domain) => domain.as_ref().eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        url::Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

fn check_repository(repository: &str) -> anyhow::Result<()> {
    let component_ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
            && !part.starts_with(['.', '_', '-'])
    };
    ensure!(
        repository.split('/').all(component_ok) && repository.len() <= 255,
        "`{repository}` is not a repository name (lower-case path segments)"
    );
    Ok(())
}

fn check_tag(tag: &str) -> anyhow::Result<()> {
    let ok = tag
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    ensure!(
        ok && !tag.is_empty() && tag.len() <= 128 && !tag.starts_with(['.', '-']),
        "`{tag}` is not a tag"
    );
    Ok(())
}
