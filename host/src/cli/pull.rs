//! `moat pull`: fetch plugins from OCI registries or pinned URLs into a
//! plugin directory (see `crate::pull`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use moat_trust::TrustPolicy;

use crate::plugins::lock;
use crate::pull::download::DEFAULT_MAX_SIZE;
use crate::pull::registry::Connection;
use crate::pull::{self, Options};
use crate::runtime::{CompileCache, Runtime};

/// `moat pull`'s arguments.
#[derive(clap::Args)]
pub struct PullArgs {
    /// What to pull: `oci://REGISTRY/REPO:TAG`, `oci://REGISTRY/REPO@sha256:HEX`
    /// (or both), or `https://HOST/PATH#sha256=HEX`. With none, `--update`
    /// or `--locked` pulls every pulled plugin the lock records.
    #[arg(value_name = "REFERENCE")]
    pub references: Vec<String>,
    /// The plugin directory `NAME.wasm` is written to; its `NAME.toml`, if
    /// present, is the manifest the pulled plugin is checked with.
    #[arg(long, value_name = "DIR")]
    pub plugins: PathBuf,
    /// The plugin's name [default: the repository's last segment, or the
    /// URL file's stem]. Only with one reference.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The trust policy: which public keys may sign which repositories
    /// [default: none, so an OCI pull is refused unless --allow-unsigned].
    #[arg(long, value_name = "FILE", env = "MOAT_TRUST")]
    pub trust: Option<PathBuf>,
    /// Pull an OCI artifact that no trusted key signed (a loud warning; the
    /// lock records no key) [default: refused].
    #[arg(long)]
    pub allow_unsigned: bool,
    /// The lock to record the pull in [default: DIR/moat.lock, created if
    /// missing].
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Never write the lock: with no reference, fetch every pulled plugin at
    /// its locked digest; with one, refuse a digest other than the lock's
    /// (a moved tag).
    #[arg(long, conflicts_with = "update")]
    pub locked: bool,
    /// Replace an existing NAME.wasm with other bytes [default: refused];
    /// with no reference, re-resolve every pulled plugin in the lock.
    #[arg(long)]
    pub update: bool,
    /// Plain HTTP, for a loopback registry or URL only (127.0.0.0/8, ::1,
    /// localhost) [default: HTTPS only].
    #[arg(long)]
    pub plain_http: bool,
    /// PEM CA certificates trusted beside the system's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// A bearer token for the registry [default: the docker config's
    /// credentials, else anonymous].
    #[arg(long, value_name = "FILE")]
    pub registry_token_file: Option<PathBuf>,
    /// The largest component, layer or decompressed tar taken, in bytes
    /// [default: 256 MiB]. Stops an endless or enormous blob.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_SIZE)]
    pub max_size: u64,
    /// The operator's secret store, as for `moat serve --secrets`, for
    /// checking a plugin whose DIR/NAME.toml grants it secrets.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
}

/// Runs `moat pull`: one line on stdout per plugin written, one on stderr
/// per reference refused; exit 2 if any was refused. Ctrl-C stops the pull
/// and removes what it had half-written.
pub async fn run(args: PullArgs, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let trust = args
        .trust
        .as_deref()
        .map(|file| {
            TrustPolicy::read(file)
                .with_context(|| format!("cannot read the trust policy {}", file.display()))
        })
        .transpose()?;
    let connection = Connection::new(
        args.plain_http,
        args.ca_file.as_deref(),
        args.registry_token_file.as_deref(),
    )?;
    let options = Options {
        lock: args
            .lock
            .unwrap_or_else(|| args.plugins.join(lock::FILE_NAME)),
        plugins: args.plugins,
        name: args.name,
        trust,
        allow_unsigned: args.allow_unsigned,
        locked: args.locked,
        update: args.update,
        max_size: args.max_size,
        connection,
    };
    anyhow::ensure!(
        options.plugins.is_dir(),
        "the plugin directory {} does not exist",
        options.plugins.display()
    );
    let store = super::serve::secret_store(args.secrets.as_deref())?;
    let runtime = Runtime::with_cache(cache)?.with_secrets(store);
    // Dropping the pull on Ctrl-C drops its temporary directory with it.
    let outcome = tokio::select! {
        outcome = pull::pull(&options, &runtime, &args.references) => outcome?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("moat pull: interrupted; nothing half-written is left");
            return Ok(ExitCode::from(130));
        }
    };
    for pulled in &outcome.pulled {
        println!("{pulled}");
    }
    for refused in &outcome.refused {
        eprintln!("moat pull: {refused}");
    }
    Ok(ExitCode::from(if outcome.refused.is_empty() {
        0
    } else {
        2
    }))
}
