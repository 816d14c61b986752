//! The operator's secret store (`moat serve --secrets FILE`): where the
//! value of each secret a manifest may ask for comes from, and which
//! plugins may ask for it. The file holds no values, only their sources:
//!
//! ```toml
//! API_KEY = { file = "/etc/moat/secrets/api_key" }     # its contents
//! DB_PASSWORD = { env = "MOAT_DB_PASSWORD", plugins = ["db"] }  # a host variable, for `db` only
//! ```
//!
//! Values are read when a plugin that asks for them loads (and again when
//! it reloads under `--watch`), into a [`SecretValue`] whose `Debug` and
//! `Display` show only its name.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// The largest secret value read (64 KiB). Stops a store entry pointing at
/// a huge file (a log, `/dev/zero` behind a symlink) from making the host
/// read it into memory at every load; a key, a password or a certificate
/// is far smaller.
pub const MAX_SECRET: usize = 64 << 10;

/// Longest secret name, in bytes.
const MAX_NAME: usize = 128;

/// The parsed store: each secret's source.
#[derive(Debug)]
pub struct SecretStore {
    path: PathBuf,
    entries: BTreeMap<String, StoreEntry>,
}

/// Where one secret's value comes from, and who may have it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreEntry {
    /// A file holding the value (one trailing newline is dropped); a
    /// relative path is relative to the store file's directory.
    file: Option<PathBuf>,
    /// A variable of moat's own environment holding the value.
    env: Option<String>,
    /// The plugins that may ask for it; any plugin if absent. Stops one
    /// plugin's manifest from naming another's secret to obtain it.
    plugins: Option<Vec<String>>,
}

/// A secret's value. Its `Debug` and `Display` print `[secret NAME]`, so
/// it cannot reach a log or a message by accident; only
/// [`SecretValue::expose`] gives the value (to hand it to the plugin, or
/// to build the redactor).
#[derive(Clone)]
pub struct SecretValue {
    name: Arc<str>,
    value: SecretString,
}

impl SecretValue {
    /// A value named `name` (for tests and the store).
    pub fn new(name: &str, value: String) -> Self {
        Self {
            name: name.into(),
            value: SecretString::from(value),
        }
    }

    /// The secret's name, as the store and the manifest call it.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The value itself. Never format it.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[secret {}]", self.name)
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[secret {}]", self.name)
    }
}

impl SecretStore {
    /// Reads and checks the store at `path` (no value is read yet).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            anyhow::anyhow!("--secrets: cannot read {}: {error}", path.display())
        })?;
        Self::parse(&text, path).map_err(|message| anyhow::anyhow!("{}: {message}", path.display()))
    }

    /// Parses store text found at `path`; the error names the line and key.
    pub fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let entries: BTreeMap<String, StoreEntry> =
            toml::from_str(text).map_err(|error| error.to_string().trim_end().to_owned())?;
        for (name, entry) in &entries {
            check_name(name)?;
            match (&entry.file, &entry.env) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    return Err(format!(
                        "secret `{name}` must name exactly one source: `{{ file = \"/path\" }}` or `{{ env = \"VAR\" }}`"
                    ));
                }
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let path = path.canonicalize().unwrap_or_else(|_| path.to_owned());
        let entries = entries
            .into_iter()
            .map(|(name, mut entry)| {
                entry.file = entry.file.map(|file| dir.join(file));
                (name, entry)
            })
            .collect();
        Ok(Self { path, entries })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where `name` comes from, for `moat check` (`file /etc/x`, `env VAR`).
    pub fn source(&self, name: &str) -> Option<String> {
        let entry = self.entries.get(name)?;
        Some(match (&entry.file, &entry.env) {
            (Some(file), _) => format!("file {}", file.display()),
            (_, Some(var)) => format!("env {var}"),
            _ => unreachable!("checked at parse"),
        })
    }

    /// The value of `name` for `plugin`, read now from its source. The
    /// error names the secret, the store and the source, never a value.
    pub fn value(&self, plugin: &str, name: &str) -> Result<SecretValue, String> {
        let store = self.path.display();
        let Some(entry) = self.entries.get(name) else {
            return Err(format!(
                "its manifest asks for the secret `{name}` (capabilities.secrets), which the secret store {store} does not define; add `{name} = {{ file = \"/path/to/file\" }}` or `{name} = {{ env = \"HOST_VAR\" }}` to it"
            ));
        };
        if let Some(plugins) = &entry.plugins
            && !plugins.iter().any(|p| p == plugin)
        {
            return Err(format!(
                "its manifest asks for the secret `{name}`, which the secret store {store} gives only to {} (its `plugins`), not to `{plugin}`",
                plugins
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let value = match (&entry.file, &entry.env) {
            (Some(file), _) => read_file(file).map_err(|why| {
                format!(
                    "the secret `{name}` comes from the file {} (secret store {store}), which {why}",
                    file.display()
                )
            })?,
            (_, Some(var)) => match std::env::var_os(var) {
                None => {
                    return Err(format!(
                        "the secret `{name}` comes from the host environment variable `{var}` (secret store {store}), which is not set"
                    ));
                }
                Some(value) => value.into_string().map_err(|_| {
                    format!(
                        "the secret `{name}` comes from the host environment variable `{var}` (secret store {store}), which is not UTF-8"
                    )
                })?,
            },
            _ => unreachable!("checked at parse"),
        };
        if value.is_empty() {
            return Err(format!(
                "the secret `{name}` (secret store {store}) is empty"
            ));
        }
        if value.len() > MAX_SECRET {
            return Err(format!(
                "the secret `{name}` (secret store {store}) is over the host's limit of {} KiB",
                MAX_SECRET >> 10
            ));
        }
        Ok(SecretValue::new(name, value))
    }
}

/// A secret's name: letters, digits, `_`, `-` and `.`, at most [`MAX_NAME`] bytes.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(valid) {
        return Err(format!(
            "`{}` is not a secret name: use letters, digits, `_`, `-` and `.`, at most {MAX_NAME} bytes",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// The contents of a regular file, at most [`MAX_SECRET`] bytes (and one
/// more to tell), less one trailing newline; the error says why not.
fn read_file(file: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot be read: {e}"))?;
    if !meta.is_file() {
        // A FIFO would block the load; a device could be endless.
        return Err("is not a regular file".into());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SECRET as u64 + 2).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.ends_with(b"\r\n") {
        bytes.truncate(bytes.len() - 2);
    } else if bytes.ends_with(b"\n") {
        bytes.pop();
    }
    if bytes.len() > MAX_SECRET {
        return Err(format!(
            "is over the host's limit of {} KiB",
            MAX_SECRET >> 10
        ));
    }
    String::from_utf8(bytes).map_err(|_| "is not UTF-8".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(text: &str) -> Result<SecretStore, String> {
        SecretStore::parse(text, Path::new("/nowhere/secrets.toml"))
    }

    #[test]
    fn a_value_never_formats() {
        let value = SecretValue::new("API_KEY", "hunter2-very-secret".into());
        assert_eq!(format!("{value:?}"), "[secret API_KEY]");
        assert_eq!(format!("{value}"), "[secret API_KEY]");
        assert_eq!(value.expose(), "hunter2-very-secret");
    }

    #[test]
    fn an_entry_names_exactly_one_source() {
        assert!(store("A = { file = \"a\" }\nB = { env = \"B\" }\n").is_ok());
        let error = store("A = { file = \"a\", env = \"B\" }\n").unwrap_err();
        assert!(error.contains("exactly one source"), "{error}");
        let error = store("A = {}\n").unwrap_err();
        assert!(error.contains("exactly one source"), "{error}");
        let error = store("A = { value = \"x\" }\n").unwrap_err();
        assert!(error.contains("unknown field `value`"), "{error}");
        let error = store("\"a b\" = { env = \"X\" }\n").unwrap_err();
        assert!(error.contains("not a secret name"), "{error}");
    }

    #[test]
    fn errors_name_the_secret_and_the_source() {
        let store = store(
            "A = { env = \"MOAT_TEST_SURELY_UNSET_VAR\" }\nB = { file = \"missing\" }\nC = { env = \"PATH\", plugins = [\"x\"] }\n",
        )
        .unwrap();
        let error = store.value("p", "A").unwrap_err();
        assert!(
            error.contains("`A`") && error.contains("MOAT_TEST_SURELY_UNSET_VAR"),
            "{error}"
        );
        let error = store.value("p", "B").unwrap_err();
        assert!(error.contains("/nowhere/missing"), "{error}");
        let error = store.value("p", "C").unwrap_err();
        assert!(error.contains("only to `x`"), "{error}");
        let error = store.value("p", "D").unwrap_err();
        assert!(error.contains("does not define"), "{error}");
    }

    #[test]
    fn a_file_loses_one_trailing_newline_and_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "s3cret\n\n").unwrap();
        std::fs::write(dir.path().join("big"), vec![b'x'; MAX_SECRET + 1]).unwrap();
        let store = SecretStore::parse(
            "A = { file = \"a\" }\nBIG = { file = \"big\" }\n",
            &dir.path().join("s.toml"),
        )
        .unwrap();
        assert_eq!(store.value("p", "A").unwrap().expose(), "s3cret\n");
        let error = store.value("p", "BIG").unwrap_err();
        assert!(error.contains("64 KiB"), "{error}");
    }
}
