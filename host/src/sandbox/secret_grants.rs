//! `[capabilities.secrets]`: the secrets a plugin is granted, each as an
//! environment variable or as a read-only file, with its value from the
//! operator's store (see `secret_store.rs`):
//!
//! ```toml
//! [capabilities.secrets]
//! API_KEY = { env = "WEATHER_API_KEY" }        # seen as $WEATHER_API_KEY
//! DB_PASSWORD = { file = "/run/secrets/db" }   # seen as this file, and only it
//! ```
//!
//! A file is delivered through a directory of the host's own, made for the
//! plugin's load in `/dev/shm` (memory, never disk) where there is one and
//! the system's temporary directory otherwise, readable by moat's user
//! only, holding exactly the plugin's secret files; it is preopened
//! read-only at the file's parent directory and removed when the plugin
//! is unloaded.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Component, Path};
use std::sync::Arc;

use serde::Deserialize;

use super::files::DirGrant;
use super::manifest::{Access, FileGrant};
use super::redactor::Redactor;
use super::secret_store::{self, SecretStore, SecretValue};

/// How one granted secret reaches the plugin: exactly one of the two.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretGrant {
    /// As this environment variable, e.g. `"WEATHER_API_KEY"`.
    pub env: Option<String>,
    /// As a read-only file at this absolute guest path, e.g. `"/run/secrets/db"`.
    pub file: Option<String>,
}

/// The secrets of one plugin, read and ready to hand over.
#[derive(Debug, Default)]
pub struct GrantedSecrets {
    /// Environment variables, each with its value.
    pub(super) env: Vec<(String, SecretValue)>,
    /// The directories holding the secret files, preopened read-only.
    pub(super) dirs: Vec<DirGrant>,
    /// What `moat check` shows: each secret, how it is delivered, and
    /// where its value comes from (never the value).
    pub(super) shown: Vec<String>,
    /// The redactor of every value, if any.
    pub(super) redactor: Option<Arc<Redactor>>,
    /// The host directory behind `dirs`, removed when the plugin is.
    _files: Option<tempfile::TempDir>,
}

impl GrantedSecrets {
    /// Reads the value of each of `grants` for `plugin` from `store`. The
    /// error names the secret and where to define it, never a value.
    /// `env` and `dirs` are the plugin's other grants, which a secret may
    /// not shadow.
    pub fn resolve(
        grants: &BTreeMap<String, SecretGrant>,
        plugin: &str,
        store: Option<&SecretStore>,
        env: &BTreeMap<String, String>,
        dirs: &[DirGrant],
    ) -> Result<Self, String> {
        if grants.is_empty() {
            return Ok(Self::default());
        }
        let Some(store) = store else {
            let name = grants.keys().next().expect("not empty");
            return Err(format!(
                "its manifest asks for the secret `{name}` (capabilities.secrets), but moat was started without a secret store; pass `--secrets FILE` with a FILE defining `{name} = {{ file = \"/path/to/file\" }}` or `{name} = {{ env = \"HOST_VAR\" }}`"
            ));
        };
        let mut granted = Self::default();
        let mut values = Vec::new();
        let mut files: BTreeMap<String, Vec<(String, SecretValue)>> = BTreeMap::new();
        for (name, grant) in grants {
            secret_store::check_name(name).map_err(|why| format!("capabilities.secrets: {why}"))?;
            let delivery = delivery(name, grant, env, dirs, &granted.env)?;
            let value = store.value(plugin, name)?;
            let source = store.source(name).unwrap_or_default();
            values.push(value.clone());
            match delivery {
                Delivery::Env(var) => {
                    granted
                        .shown
                        .push(format!("{name}: as env {var}, from the store's {source}"));
                    granted.env.push((var, value));
                }
                Delivery::File { parent, file } => {
                    granted.shown.push(format!(
                        "{name}: as file {parent}/{file} (read-only), from the store's {source}"
                    ));
                    files.entry(parent).or_default().push((file, value));
                }
            }
        }
        if !files.is_empty() {
            let (dir, preopens) = write_files(&files)?;
            granted.dirs = preopens;
            granted._files = Some(dir);
        }
        granted.redactor = Redactor::for_plugin(values);
        Ok(granted)
    }
}

/// Where a secret goes in the guest.
enum Delivery {
    Env(String),
    File { parent: String, file: String },
}

/// Checks `grant` of `name` against the plugin's other grants.
fn delivery(
    name: &str,
    grant: &SecretGrant,
    env: &BTreeMap<String, String>,
    dirs: &[DirGrant],
    taken: &[(String, SecretValue)],
) -> Result<Delivery, String> {
    let key = format!("capabilities.secrets.{name}");
    match (&grant.env, &grant.file) {
        (Some(var), None) => {
            if var.is_empty() || var.contains(['=', '\0']) {
                return Err(format!(
                    "{key}: `{}` is not a variable name",
                    var.escape_debug()
                ));
            }
            if env.contains_key(var) || taken.iter().any(|(v, _)| v == var) {
                return Err(format!(
                    "{key}: the variable `{var}` is granted twice (also in capabilities.env or another secret)"
                ));
            }
            Ok(Delivery::Env(var.clone()))
        }
        (None, Some(path)) => {
            let bad = || {
                format!(
                    "{key}: `{}` is not an absolute guest file path below a directory, e.g. `/run/secrets/db`",
                    path.escape_debug()
                )
            };
            let guest = Path::new(path);
            let normal = guest
                .components()
                .skip(1)
                .all(|c| matches!(c, Component::Normal(_)));
            if !path.starts_with('/') || path.ends_with('/') || !normal || path.contains('\0') {
                return Err(bad());
            }
            let (parent, file) = path.rsplit_once('/').ok_or_else(bad)?;
            if parent.is_empty() {
                return Err(bad());
            }
            if dirs
                .iter()
                .any(|d| d.guest().trim_end_matches('/') == parent)
            {
                return Err(format!(
                    "{key}: `{parent}` is also granted in capabilities.files; put secret files in a directory of their own"
                ));
            }
            Ok(Delivery::File {
                parent: parent.to_owned(),
                file: file.to_owned(),
            })
        }
        _ => Err(format!(
            "{key} must name exactly one way to deliver it: `{{ env = \"VAR\" }}` or `{{ file = \"/run/secrets/NAME\" }}`"
        )),
    }
}

/// Writes each parent's files into a directory of their own under a fresh
/// private directory; returns it and the read-only preopens.
fn write_files(
    files: &BTreeMap<String, Vec<(String, SecretValue)>>,
) -> Result<(tempfile::TempDir, Vec<DirGrant>), String> {
    let shm = Path::new("/dev/shm");
    let base = match shm.is_dir() {
        true => shm.to_owned(),
        false => std::env::temp_dir(),
    };
    let failed = |e: std::io::Error| format!("cannot make the directory for secret files: {e}");
    let root = tempfile::Builder::new()
        .prefix("moat-secrets-")
        .tempdir_in(&base)
        .or_else(|_| tempfile::Builder::new().prefix("moat-secrets-").tempdir())
        .map_err(failed)?;
    let mut preopens = Vec::new();
    for (i, (parent, entries)) in files.iter().enumerate() {
        let dir = root.path().join(i.to_string());
        std::fs::create_dir(&dir).map_err(failed)?;
        for (file, value) in entries {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let written = options
                .open(dir.join(file))
                .and_then(|mut f| f.write_all(value.expose().as_bytes()));
            written.map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    format!("capabilities.secrets: the file `{parent}/{file}` is granted twice")
                }
                _ => failed(e),
            })?;
        }
        let grant = FileGrant {
            host: dir,
            guest: parent.clone(),
            access: Access::ReadOnly,
        };
        preopens.push(DirGrant::resolve(&grant, root.path())?);
    }
    Ok((root, preopens))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::manifest::Manifest;

    fn grants(text: &str) -> BTreeMap<String, SecretGrant> {
        Manifest::parse(text).unwrap().capabilities.secrets
    }

    #[test]
    fn grants_read_from_the_manifest() {
        let g = grants(
            "[capabilities.secrets]\nA = { env = \"X\" }\nB = { file = \"/run/secrets/b\" }\n",
        );
        assert_eq!(g["A"].env.as_deref(), Some("X"));
        assert_eq!(g["B"].file.as_deref(), Some("/run/secrets/b"));
        let error = Manifest::parse("[capabilities.secrets]\nA = { value = \"x\" }\n").unwrap_err();
        assert!(error.contains("unknown field `value`"), "{error}");
    }

    #[test]
    fn without_a_store_a_grant_names_the_flag() {
        let g = grants("[capabilities.secrets]\nA = { env = \"X\" }\n");
        let error = GrantedSecrets::resolve(&g, "p", None, &BTreeMap::new(), &[]).unwrap_err();
        assert!(
            error.contains("--secrets FILE") && error.contains("`A`"),
            "{error}"
        );
    }

    #[test]
    fn bad_deliveries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SecretStore::parse("A = { env = \"PATH\" }\n", &dir.path().join("s.toml")).unwrap();
        for (text, why) in [
            ("A = { env = \"X\", file = \"/a/b\" }", "exactly one way"),
            ("A = {}", "exactly one way"),
            ("A = { file = \"relative\" }", "absolute guest file path"),
            ("A = { file = \"/top\" }", "absolute guest file path"),
            ("A = { file = \"/a/../b\" }", "absolute guest file path"),
            ("A = { file = \"/a/b/\" }", "absolute guest file path"),
            ("A = { env = \"K=V\" }", "not a variable name"),
            ("A = { env = \"TAKEN\" }", "granted twice"),
        ] {
            let g = grants(&format!("[capabilities.secrets]\n{text}\n"));
            let env = BTreeMap::from([("TAKEN".to_owned(), "x".to_owned())]);
            let error = GrantedSecrets::resolve(&g, "p", Some(&store), &env, &[]).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        }
    }

    #[test]
    fn a_file_is_written_for_the_guest_and_removed_with_the_grant() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("v"), "value-of-b\n").unwrap();
        let store =
            SecretStore::parse("B = { file = \"v\" }\n", &dir.path().join("s.toml")).unwrap();
        let g = grants("[capabilities.secrets]\nB = { file = \"/run/secrets/b\" }\n");
        let granted =
            GrantedSecrets::resolve(&g, "p", Some(&store), &BTreeMap::new(), &[]).unwrap();
        assert_eq!(granted.dirs.len(), 1);
        assert_eq!(granted.dirs[0].guest(), "/run/secrets");
        let host = granted.dirs[0].host().to_owned();
        assert_eq!(
            std::fs::read_to_string(host.join("b")).unwrap(),
            "value-of-b"
        );
        assert!(
            granted.shown[0].contains("as file /run/secrets/b"),
            "{:?}",
            granted.shown
        );
        assert!(!granted.shown[0].contains("value-of-b"));
        drop(granted);
        assert!(!host.exists());
    }
}
