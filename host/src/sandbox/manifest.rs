//! `NAME.toml`, the operator's manifest for `NAME.wasm`.
//!
//! A plugin without a manifest is granted nothing and runs under the default
//! [`Limits`](super::limits::Limits). Every key is optional; an unknown key
//! is an error, so a typo never silently drops a limit.
//!
//! ```toml
//! [tools]
//! prefix = "fs"                # serve `read` as `fs_read`
//!
//! [tools.descriptions]         # give or replace a tool's description
//! read = "Read a file under /data"
//!
//! [capabilities]
//! files = [{ host = "data", guest = "/data", access = "read-only" }]
//! env = { API_BASE = "https://api.example.com" }
//! network = ["api.example.com:443"]
//!
//! [capabilities.secrets]       # values from the operator's `--secrets` store
//! API_KEY = { env = "WEATHER_API_KEY" }
//! DB_PASSWORD = { file = "/run/secrets/db" }
//!
//! [limits]
//! memory = "64 MiB"
//! timeout = "5s"
//! max_concurrency = 8
//! max_output = "1 MiB"
//! max_handles = 256            # resource handles a call may hold
//! max_open_files = 64          # files a call may hold open
//! max_tools = 1000             # listing limits, checked at load
//! max_resources = 1000
//! max_templates = 100
//! max_prompts = 1000
//! max_description = "16 KiB"
//! max_schema = "64 KiB"
//! max_listing = "4 MiB"
//! load_timeout = "10s"
//!
//! [secrets]                    # scan what flows in and out for secrets
//! arguments = "refuse"         # off | redact | refuse
//! results = "redact"           # off | redact | refuse
//! [lint]                       # the definition lint: see LintSection
//! strict = true
//! accept = [{ code = "MOAT-L006", item = "tool:search" }]
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use bytesize::ByteSize;
use serde::Deserialize;
use serde::de::Error as _;

pub use super::secret_grants::SecretGrant;
pub use super::secrets::{SecretsMode, SecretsSection};

/// A parsed manifest, before its paths are checked on disk.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// How the plugin's tools are named.
    #[serde(default)]
    pub tools: ToolsSection,
    /// What the plugin may reach. Everything not listed is denied.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Limits that replace the defaults for this plugin.
    #[serde(default)]
    pub limits: LimitsSection,
    /// Whether calls are scanned for secrets, and what happens to one.
    #[serde(default)]
    pub secrets: SecretsSection,
    /// How the definition lint treats this plugin.
    #[serde(default)]
    pub lint: LintSection,
}

/// `[lint]`: the definition lint's settings for this plugin (see
/// `docs/operators.md`, "Definition lint"). Findings are logged either way.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSection {
    /// Refuse the plugin if any finding of severity error is not accepted,
    /// as `moat serve --strict` does for every plugin. Stops a poisoned
    /// definition (hidden text, instructions to the model, shadowing, a
    /// side-channel parameter) from reaching a client. Default: `false`.
    #[serde(default)]
    pub strict: bool,
    /// Descriptions longer than this many characters raise `MOAT-L009`
    /// (a warning): long descriptions hide payloads below what a user
    /// reads. Default: 1024 (`moat_lint::DEFAULT_MAX_DESCRIPTION`).
    pub max_description_chars: Option<usize>,
    /// Findings the operator has read and accepts, each by its code and
    /// item (and optionally place), e.g. `[{ code = "MOAT-L006", item =
    /// "tool:search" }]`: logged no more, refused no more. One that matches
    /// nothing is warned about, so stale accepts get noticed. Default: none.
    #[serde(default)]
    pub accept: Vec<LintAccept>,
}

/// One accepted lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintAccept {
    /// Its code, e.g. `"MOAT-L006"`.
    #[serde(deserialize_with = "lint_code")]
    pub code: moat_lint::Code,
    /// Its item as findings name it: `tool:NAME` (the served name, with the
    /// prefix), `resource:URI`, `template:URI_TEMPLATE` or `prompt:NAME`.
    #[serde(deserialize_with = "lint_item")]
    pub item: String,
    /// Its place in the item, e.g. `"description"`; any place if absent.
    pub place: Option<String>,
}

fn lint_code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<moat_lint::Code, D::Error> {
    String::deserialize(d)?.parse().map_err(D::Error::custom)
}

fn lint_item<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let item = String::deserialize(d)?;
    let bad = |why: String| {
        D::Error::custom(format!(
            "`{item}` is not an item: write `tool:NAME`, `resource:URI`, `template:URI_TEMPLATE` or `prompt:NAME` ({why})"
        ))
    };
    let (kind, name) = item.split_once(':').ok_or_else(|| bad("no `:`".into()))?;
    kind.parse::<moat_lint::Kind>().map_err(bad)?;
    if name.is_empty() {
        return Err(bad("no name".into()));
    }
    Ok(item)
}

/// `[tools]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolsSection {
    /// Served names become `PREFIX_NAME`, e.g. `prefix = "math"` serves
    /// `add` as `math_add`. Lets two plugins with the same tool names coexist.
    pub prefix: Option<String>,
    /// `[tools.descriptions]`: a description for each named tool (its name
    /// before the prefix), given where the plugin has none (a plain
    /// component built without its docs) or replacing the plugin's own. The
    /// operator decides what a model is told a tool does. A name the
    /// plugin does not serve is a load error, so a typo never silently
    /// leaves the old description. Default: none.
    #[serde(default)]
    pub descriptions: BTreeMap<String, String>,
}

/// `[capabilities]`: the grants. Empty means pure compute.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Directories the plugin may open, e.g.
    /// `[{ host = "data", guest = "/data", access = "read-only" }]`.
    #[serde(default)]
    pub files: Vec<FileGrant>,
    /// Environment variables the plugin sees, with their values, e.g.
    /// `{ API_BASE = "https://api.example.com" }`. The host's own
    /// environment never reaches a plugin.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Hosts and ports the plugin may connect to over `wasi:sockets` (TCP)
    /// and `wasi:http`, e.g. `["api.example.com:443", "10.0.0.5:5432"]`.
    #[serde(default)]
    pub network: Vec<NetworkGrant>,
    /// `[capabilities.secrets]`: the secrets the plugin is granted, by the
    /// name the operator's store (`--secrets`) knows them by, each as an
    /// environment variable or a read-only file, e.g.
    /// `API_KEY = { env = "WEATHER_API_KEY" }`. Stops secrets sitting in
    /// the manifest in plain text (`env`), and a plugin reading any secret
    /// but its own. See `secret_grants.rs`.
    #[serde(default)]
    pub secrets: BTreeMap<String, SecretGrant>,
}

/// One directory grant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileGrant {
    /// The directory on the host, e.g. `"data"`; relative paths are relative
    /// to the manifest's directory.
    pub host: PathBuf,
    /// Where the plugin sees it, an absolute guest path, e.g. `"/data"`.
    pub guest: String,
    /// `"read-only"` (the default) or `"read-write"`.
    #[serde(default)]
    pub access: Access,
}

/// What a plugin may do in a granted directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// List and read files.
    #[default]
    ReadOnly,
    /// Also create, write, rename and remove files and directories.
    ReadWrite,
}

/// An outbound destination, `host:port`, e.g. `"api.example.com:443"`,
/// `"127.0.0.1:8080"` or `"[::1]:8080"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkGrant {
    /// A DNS name or an IP address, lower-cased, without brackets.
    pub host: String,
    /// The port.
    pub port: u16,
}

/// `[limits]`: each replaces the default of the same name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Linear memory, e.g. `"64 MiB"`.
    pub memory: Option<ByteSize>,
    /// Wall-clock time per call, e.g. `"5s"` or `"500ms"`.
    #[serde(default, with = "humantime_opt")]
    pub timeout: Option<Duration>,
    /// Calls of this plugin running at once, e.g. `8`; more wait their turn.
    pub max_concurrency: Option<NonZeroU32>,
    /// Size of one call's result, e.g. `"1 MiB"`.
    pub max_output: Option<ByteSize>,
    /// Resource handles one call may hold at once, e.g. `256` (issue 12).
    pub max_handles: Option<NonZeroU32>,
    /// Files and directories one call may hold open at once, e.g. `64`.
    pub max_open_files: Option<NonZeroU32>,

    // Listing limits, checked once at load (see `ListingLimits`).
    /// Most tools the plugin may describe, e.g. `2000`.
    pub max_tools: Option<usize>,
    /// Most resources the plugin may list.
    pub max_resources: Option<usize>,
    /// Most resource templates the plugin may list.
    pub max_templates: Option<usize>,
    /// Most prompts the plugin may list.
    pub max_prompts: Option<usize>,
    /// Longest name, title, description or URI of one listed item, e.g. `"32 KiB"`.
    pub max_description: Option<ByteSize>,
    /// Longest input or output schema of one tool, e.g. `"128 KiB"`.
    pub max_schema: Option<ByteSize>,
    /// Most bytes of all the plugin's definitions together, e.g. `"8 MiB"`.
    pub max_listing: Option<ByteSize>,
    /// Time the plugin's listing may take at load, e.g. `"20s"`.
    #[serde(default, with = "humantime_opt")]
    pub load_timeout: Option<Duration>,
}

/// A manifest that could not be read or is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file exists but could not be read.
    #[error("{}: cannot read the manifest: {source}", path.display())]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The TOML is malformed, has an unknown key, or a value of the wrong kind.
    /// The message names the line, the column and the key.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// The parser's message, with the position and an excerpt.
        message: String,
    },
}

impl Manifest {
    /// The manifest at `path`, or the empty manifest if there is none.
    pub fn read(path: PathBuf) -> Result<Self, ManifestError> {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                Self::parse(&text).map_err(|message| ManifestError::Parse { path, message })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ManifestError::Read { path, source }),
        }
    }

    /// Where the manifest of the plugin at `wasm` lives: `NAME.toml` beside `NAME.wasm`.
    pub fn path_for(wasm: &Path) -> PathBuf {
        wasm.with_extension("toml")
    }

    /// Parses manifest text; the error is the parser's message.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|error| error.to_string().trim_end().to_owned())
    }
}

impl FromStr for NetworkGrant {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad =
            || format!("`{text}` is not `host:port`, e.g. `api.example.com:443` or `[::1]:8080`");
        let (host, port) = text.rsplit_once(':').ok_or_else(bad)?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port: u16 = port.parse().map_err(|_| bad())?;
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
        if host.is_empty() || port == 0 || !host.chars().all(valid) {
            return Err(bad());
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

impl fmt::Display for NetworkGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl<'de> Deserialize<'de> for NetworkGrant {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(D::Error::custom)
    }
}

mod humantime_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, de::Error as _};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map(Some).map_err(|e| {
            D::Error::custom(format!(
                "`{text}` is not a duration like \"5s\" or \"500ms\": {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_manifest_grants_nothing() {
        let manifest = Manifest::parse("").unwrap();
        assert!(manifest.capabilities.files.is_empty());
        assert!(manifest.capabilities.env.is_empty());
        assert!(manifest.capabilities.network.is_empty());
        assert!(manifest.tools.prefix.is_none());
    }

    #[test]
    fn reads_every_key() {
        let manifest = Manifest::parse(
            r#"
            [tools]
            prefix = "fs"
            [capabilities]
            files = [{ host = "data", guest = "/data", access = "read-write" }, { host = "/etc/x", guest = "/x" }]
            env = { API_BASE = "https://api.example.com" }
            network = ["api.example.com:443", "[::1]:8080", "127.0.0.1:80"]
            [limits]
            memory = "32 MiB"
            timeout = "1500ms"
            max_concurrency = 2
            max_output = "10 KiB"
            max_tools = 5
            max_resources = 6
            max_templates = 7
            max_prompts = 8
            max_description = "1 KiB"
            max_schema = "2 KiB"
            max_listing = "1 MiB"
            load_timeout = "3s"
            "#,
        )
        .unwrap();
        assert_eq!(manifest.tools.prefix.as_deref(), Some("fs"));
        let files = &manifest.capabilities.files;
        assert_eq!(
            (files[0].access, files[1].access),
            (Access::ReadWrite, Access::ReadOnly)
        );
        assert_eq!(
            manifest.capabilities.env["API_BASE"],
            "https://api.example.com"
        );
        let network: Vec<String> = manifest
            .capabilities
            .network
            .iter()
            .map(|g| g.to_string())
            .collect();
        assert_eq!(
            network,
            ["api.example.com:443", "[::1]:8080", "127.0.0.1:80"]
        );
        assert_eq!(manifest.limits.memory, Some(ByteSize::mib(32)));
        assert_eq!(manifest.limits.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(
            manifest.limits.max_concurrency.map(NonZeroU32::get),
            Some(2)
        );
        assert_eq!(manifest.limits.max_output, Some(ByteSize::kib(10)));
        let limits = &manifest.limits;
        assert_eq!(
            (
                limits.max_tools,
                limits.max_resources,
                limits.max_templates,
                limits.max_prompts
            ),
            (Some(5), Some(6), Some(7), Some(8))
        );
        assert_eq!(limits.max_description, Some(ByteSize::kib(1)));
        assert_eq!(limits.max_schema, Some(ByteSize::kib(2)));
        assert_eq!(limits.max_listing, Some(ByteSize::mib(1)));
        assert_eq!(limits.load_timeout, Some(Duration::from_secs(3)));
    }

    #[test]
    fn reads_tool_descriptions() {
        let manifest = Manifest::parse(
            "[tools]\nprefix = \"m\"\n[tools.descriptions]\nmul = \"Multiply x by y\"\n",
        )
        .unwrap();
        assert_eq!(manifest.tools.descriptions["mul"], "Multiply x by y");
        let error = Manifest::parse("[tools.descriptions]\nmul = 3\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        let error = Manifest::parse("[tools]\ndescription = {}\n").unwrap_err();
        assert!(error.contains("unknown field `description`"), "{error}");
    }

    #[test]
    fn reads_the_host_side_limits() {
        let manifest = Manifest::parse("[limits]\nmax_handles = 40\nmax_open_files = 5\n").unwrap();
        assert_eq!(manifest.limits.max_handles.map(NonZeroU32::get), Some(40));
        assert_eq!(manifest.limits.max_open_files.map(NonZeroU32::get), Some(5));
        assert!(Manifest::parse("[limits]\nmax_handles = 0\n").is_err());
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let error = Manifest::parse("[limits]\nmemroy = \"1 MiB\"\n").unwrap_err();
        assert!(error.contains("line 2"), "{error}");
        assert!(error.contains("unknown field `memroy`"), "{error}");

        let error = Manifest::parse("[capabilities]\nnetwork = [\"example.com\"]\n").unwrap_err();
        assert!(
            error.contains("line 2") && error.contains("host:port"),
            "{error}"
        );

        let error = Manifest::parse("[limits]\ntimeout = \"soon\"\n").unwrap_err();
        assert!(error.contains("not a duration"), "{error}");

        let error = Manifest::parse(
            "[capabilities]\nfiles = [{ host = \"d\", guest = \"/d\", access = \"all\" }]\n",
        )
        .unwrap_err();
        assert!(error.contains("unknown variant `all`"), "{error}");
    }
}
