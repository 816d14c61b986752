//! What one plugin may reach, built from its manifest.
//!
//! Defaults, all deny: no directories, no environment variables, no
//! arguments, stdin closed, stdout and stderr captured for the host's log, no
//! sockets, no name lookups, no HTTP. Clocks and randomness are the host's.
//! Each grant below is opened only by a line of the plugin's manifest.

mod files;
mod http;
pub mod limits;
pub mod manifest;
pub mod network;
pub mod output;
pub mod redactor;
mod secret_grants;
pub mod secret_store;
pub mod secrets;

use std::path::Path;
use std::sync::Arc;

use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

pub use self::files::DirGrant;
pub use self::http::HttpHooks;
use self::limits::{HostLimits, Limits, ListingLimits};
use self::manifest::Manifest;
use self::network::NetworkPolicy;
use self::output::Captured;
use self::redactor::Redactor;
use self::secret_grants::GrantedSecrets;
use self::secret_store::SecretStore;

/// The grants and limits of one plugin, checked at load.
#[derive(Debug)]
pub struct Sandbox {
    limits: Limits,
    listing: ListingLimits,
    dirs: Vec<DirGrant>,
    env: Vec<(String, String)>,
    network: Arc<NetworkPolicy>,
    secrets: GrantedSecrets,
}

impl Sandbox {
    /// The sandbox of a plugin without a manifest: nothing granted, default limits.
    pub fn deny_all() -> Self {
        Self::from_manifest(&Manifest::default(), Path::new("."))
            .expect("the empty manifest is valid")
    }

    /// Checks `manifest` (found in `manifest_dir`) and builds the sandbox it
    /// describes, without a secret store (a manifest asking for secrets is
    /// refused). The error says which grant or limit is wrong.
    pub fn from_manifest(manifest: &Manifest, manifest_dir: &Path) -> Result<Self, String> {
        Self::for_plugin(manifest, manifest_dir, "", None)
    }

    /// Like [`Self::from_manifest`] for the plugin `plugin`, reading the
    /// secrets it is granted from `store`.
    pub fn for_plugin(
        manifest: &Manifest,
        manifest_dir: &Path,
        plugin: &str,
        store: Option<&SecretStore>,
    ) -> Result<Self, String> {
        let defaults = Limits::default();
        let asked = &manifest.limits;
        let limits = Limits {
            memory: asked
                .memory
                .map_or(defaults.memory, |m| m.as_u64() as usize),
            timeout: asked.timeout.unwrap_or(defaults.timeout),
            max_concurrency: asked
                .max_concurrency
                .map_or(defaults.max_concurrency, |n| n.get()),
            max_output: asked
                .max_output
                .map_or(defaults.max_output, |m| m.as_u64() as usize),
            log_message: defaults.log_message,
            host: HostLimits {
                max_handles: asked
                    .max_handles
                    .map_or(defaults.host.max_handles, |n| n.get() as usize),
                max_open_files: asked
                    .max_open_files
                    .map_or(defaults.host.max_open_files, |n| n.get() as usize),
                ..defaults.host
            },
        };
        if limits.host.max_handles > limits::MAX_HANDLES {
            return Err(format!(
                "limits.max_handles is over the host's ceiling of {}",
                limits::MAX_HANDLES
            ));
        }
        if limits.host.max_open_files > limits::MAX_OPEN_FILES {
            return Err(format!(
                "limits.max_open_files is over the host's ceiling of {}",
                limits::MAX_OPEN_FILES
            ));
        }
        if limits.memory > limits::MAX_MEMORY {
            return Err(format!(
                "limits.memory is over the host's ceiling of {} MiB",
                limits::MAX_MEMORY >> 20
            ));
        }
        if limits.timeout.is_zero() || limits.timeout > limits::MAX_TIMEOUT {
            return Err(format!(
                "limits.timeout must be between 1 ms and {} s",
                limits::MAX_TIMEOUT.as_secs()
            ));
        }
        let listing = listing_limits(&manifest.limits)?;
        let dirs = manifest
            .capabilities
            .files
            .iter()
            .map(|grant| DirGrant::resolve(grant, manifest_dir))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, dir) in dirs.iter().enumerate() {
            if dirs[..i].iter().any(|other| other.guest() == dir.guest()) {
                return Err(format!("capabilities.files grants `{}` twice", dir.guest()));
            }
        }
        for name in manifest.capabilities.env.keys() {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(format!(
                    "capabilities.env has an invalid variable name `{name}`"
                ));
            }
        }
        let secrets = GrantedSecrets::resolve(
            &manifest.capabilities.secrets,
            plugin,
            store,
            &manifest.capabilities.env,
            &dirs,
        )
        .map_err(|why| match plugin {
            "" => why,
            plugin => format!("plugin `{plugin}` refused: {why}"),
        })?;
        Ok(Self {
            limits,
            listing,
            dirs,
            env: manifest.capabilities.env.clone().into_iter().collect(),
            network: NetworkPolicy::new(manifest.capabilities.network.clone()),
            secrets,
        })
    }

    /// The limits each call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the plugin may list at load, and how long listing may take.
    pub fn listing(&self) -> &ListingLimits {
        &self.listing
    }

    /// The granted directories.
    pub fn dirs(&self) -> &[DirGrant] {
        &self.dirs
    }

    /// The environment variables the plugin sees.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Each granted secret, how it is delivered and where its value comes
    /// from, one line each, for `moat check` (never a value).
    pub fn secrets(&self) -> &[String] {
        &self.secrets.shown
    }

    /// The names of the environment variables holding secrets.
    pub fn secret_env(&self) -> impl Iterator<Item = &str> {
        self.secrets.env.iter().map(|(name, _)| name.as_str())
    }

    /// Where the plugin sees secret files: their directories.
    pub fn secret_dirs(&self) -> impl Iterator<Item = &str> {
        self.secrets.dirs.iter().map(DirGrant::guest)
    }

    /// The redactor of the plugin's secrets, if it is granted any.
    pub fn redactor(&self) -> Option<&Arc<Redactor>> {
        self.secrets.redactor.as_ref()
    }

    /// The outbound destinations the plugin may reach.
    pub fn network(&self) -> &Arc<NetworkPolicy> {
        &self.network
    }

    /// A WASI context with exactly these grants, writing the plugin's stdout
    /// and stderr into `stdout` and `stderr`.
    pub fn wasi(&self, stdout: &Captured, stderr: &Captured) -> wasmtime::Result<WasiCtx> {
        let mut builder = WasiCtxBuilder::new();
        builder.stdout(stdout.clone()).stderr(stderr.clone());
        for dir in self.dirs.iter().chain(&self.secrets.dirs) {
            dir.preopen(&mut builder)?;
        }
        for (name, value) in &self.env {
            builder.env(name, value);
        }
        for (name, value) in &self.secrets.env {
            builder.env(name, value.expose());
        }
        builder.allow_udp(false).allow_tcp(!self.network.is_empty());
        if !self.network.is_empty() {
            let network = self.network.clone();
            builder
                .allow_ip_name_lookup(true)
                .socket_addr_check(move |addr, use_| {
                    let network = network.clone();
                    Box::pin(async move { network.allows_socket(addr, use_).await })
                });
        }
        Ok(builder.build())
    }
}

/// The listing limits `asked` sets, each within its ceiling in [`limits`].
fn listing_limits(asked: &manifest::LimitsSection) -> Result<ListingLimits, String> {
    let defaults = ListingLimits::default();
    let count = |key: &str, asked: Option<usize>, default: usize| match asked {
        Some(n) if n > limits::MAX_LISTED => Err(format!(
            "limits.{key} is over the host's ceiling of {}",
            limits::MAX_LISTED
        )),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let bytes =
        |key: &str, asked: Option<bytesize::ByteSize>, default: usize, ceiling: usize| match asked
            .map(|b| usize::try_from(b.as_u64()).unwrap_or(usize::MAX))
        {
            Some(n) if n > ceiling => Err(format!(
                "limits.{key} is over the host's ceiling of {} KiB",
                ceiling >> 10
            )),
            Some(n) => Ok(n),
            None => Ok(default),
        };
    let load_timeout = asked.load_timeout.unwrap_or(defaults.load_timeout);
    if load_timeout.is_zero() || load_timeout > limits::MAX_LOAD_TIMEOUT {
        return Err(format!(
            "limits.load_timeout must be between 1 ms and {} s",
            limits::MAX_LOAD_TIMEOUT.as_secs()
        ));
    }
    Ok(ListingLimits {
        max_tools: count("max_tools", asked.max_tools, defaults.max_tools)?,
        max_resources: count("max_resources", asked.max_resources, defaults.max_resources)?,
        max_templates: count("max_templates", asked.max_templates, defaults.max_templates)?,
        max_prompts: count("max_prompts", asked.max_prompts, defaults.max_prompts)?,
        max_description: bytes(
            "max_description",
            asked.max_description,
            defaults.max_description,
            limits::MAX_ITEM_BYTES,
        )?,
        max_schema: bytes(
            "max_schema",
            asked.max_schema,
            defaults.max_schema,
            limits::MAX_ITEM_BYTES,
        )?,
        max_listing: bytes(
            "max_listing",
            asked.max_listing,
            defaults.max_listing,
            limits::MAX_LISTING,
        )?,
        load_timeout,
    })
}
