//! Directory grants: a host directory the plugin sees at a guest path.
//!
//! The plugin reaches files only through these preopened directories;
//! wasmtime-wasi resolves every path inside them with `cap-std`, which
//! refuses `..` past the directory's root and symlinks that lead out of it.

use std::path::{Path, PathBuf};

use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use super::manifest::{Access, FileGrant};

/// A checked directory grant.
#[derive(Debug, Clone)]
pub struct DirGrant {
    host: PathBuf,
    guest: String,
    access: Access,
}

impl DirGrant {
    /// Checks `grant`, resolving its host path against `manifest_dir`.
    pub fn resolve(grant: &FileGrant, manifest_dir: &Path) -> Result<Self, String> {
        let host = manifest_dir.join(&grant.host);
        let host = host.canonicalize().map_err(|e| {
            format!(
                "capabilities.files: cannot open host directory `{}`: {e}",
                host.display()
            )
        })?;
        if !host.is_dir() {
            return Err(format!(
                "capabilities.files: `{}` is not a directory",
                host.display()
            ));
        }
        if !grant.guest.starts_with('/') {
            return Err(format!(
                "capabilities.files: guest path `{}` must be absolute, e.g. `/data`",
                grant.guest
            ));
        }
        Ok(Self {
            host,
            guest: grant.guest.clone(),
            access: grant.access,
        })
    }

    /// The directory on the host, absolute.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// Where the plugin sees it.
    pub fn guest(&self) -> &str {
        &self.guest
    }

    /// What the plugin may do there.
    pub fn access(&self) -> Access {
        self.access
    }

    /// Adds the directory to a WASI context.
    pub fn preopen(&self, builder: &mut WasiCtxBuilder) -> wasmtime::Result<()> {
        let perms = match self.access {
            Access::ReadOnly => FsPerms::ReadOnly,
            Access::ReadWrite => FsPerms::ReadWrite,
        };
        builder.preopened_dir(&self.host, &self.guest, perms)?;
        Ok(())
    }
}
