//! `moat pull`: plugins fetched from OCI registries and pinned URLs, every
//! digest checked, signatures verified against the trust policy, compiled
//! and linted before they are written, placed atomically, and recorded in
//! the lock with where they came from.
//!
//! One reference goes: [`reference`] (parse it, name the plugin) →
//! [`artifact`] (resolve the manifest, pick the component's layer) →
//! [`signature`] (a cosign signature a trusted key verifies) →
//! [`download`] / [`unpack`] / [`url`] (the bytes, bounded and
//! digest-checked) → [`place`] (load, lint, rename into the directory) →
//! the lock. [`registry`] is the connection: TLS, credentials, timeouts.

pub mod artifact;
mod bounded;
pub mod download;
mod fault;
mod job;
pub mod place;
pub mod reference;
pub mod registry;
mod session;
pub mod signature;
pub mod unpack;
pub mod url;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use moat_trust::TrustPolicy;

use crate::plugins::lock::Lock;
use crate::runtime::Runtime;

pub use self::job::Job;
use self::registry::Connection;

/// How long one reference may take, from resolving it to placing it:
/// 15 minutes. The read timeout stops a registry that goes silent; this
/// stops one that drips a byte just often enough (slowloris) from holding
/// `moat pull`, and an init container waiting on it, forever. 256 MiB (the
/// `--max-size` default) at 1 MB/s takes under 5 minutes.
pub const PULL_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What a pull is told by its flags.
pub struct Options {
    /// `--plugins DIR`: where `NAME.wasm` is written.
    pub plugins: PathBuf,
    /// `--name`: the plugin's name, for a single reference.
    pub name: Option<String>,
    /// `--trust`: the keys that may sign which repositories.
    pub trust: Option<TrustPolicy>,
    /// `--allow-unsigned`: pull an OCI artifact no trusted key signed.
    pub allow_unsigned: bool,
    /// `--lock FILE` [default: DIR/moat.lock].
    pub lock: PathBuf,
    /// `--locked`: fetch only what the lock records, at its digests; never write it.
    pub locked: bool,
    /// `--update`: replace existing files and re-resolve locked references.
    pub update: bool,
    /// `--max-size`: the largest blob taken.
    pub max_size: u64,
    /// How registries and URLs are reached.
    pub connection: Connection,
}

/// One plugin written.
pub struct Pulled {
    /// The plugin's name.
    pub name: String,
    /// The reference as typed (or as the lock records it).
    pub reference: String,
    /// The manifest digest it resolved to, or a URL's pinned digest.
    pub digest: String,
    /// The trust-policy key that verified it, if one did.
    pub key: Option<String>,
    /// Whether it came from a URL (pinned by digest, not signed).
    pub pinned_url: bool,
}

impl fmt::Display for Pulled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pulled {} from {} ({})",
            self.name, self.reference, self.digest
        )?;
        match (&self.key, self.pinned_url) {
            (Some(key), _) => write!(f, " signed by {key}"),
            (None, true) => write!(f, " pinned by digest"),
            (None, false) => write!(f, " unsigned (--allow-unsigned)"),
        }
    }
}

/// A reference `moat pull` refused, and why; nothing was written for it.
#[derive(Debug, thiserror::Error)]
#[error("cannot pull {reference}: {reason:#}")]
pub struct Refused {
    /// The reference as typed (or as the lock records it).
    pub reference: String,
    /// Why.
    pub reason: anyhow::Error,
}

/// What a pull did: each reference pulled or refused.
#[derive(Default)]
pub struct Outcome {
    /// The plugins written, in order.
    pub pulled: Vec<Pulled>,
    /// The references refused, in order.
    pub refused: Vec<Refused>,
}

/// Pulls `references` (or, with none, what the lock records, under
/// `--update` or `--locked`), each on its own: a refused one leaves
/// nothing behind and the others are still pulled. The lock is written
/// once, at the end, unless `--locked`. `Err` only if nothing could start
/// (a bad flag, an unreadable lock).
pub async fn pull(
    options: &Options,
    runtime: &Runtime,
    references: &[String],
) -> anyhow::Result<Outcome> {
    // reqwest is built without a default TLS provider: use ring's, which
    // the tree already has (wasmtime-wasi-http). Fails only if one is set.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut lock = Lock::read_or_default(&options.lock)?;
    let jobs = job::jobs(options, &lock, references)?;
    let mut outcome = Outcome::default();
    let mut pinned = false;
    for mut job in jobs {
        let reference = job.shown.clone();
        let run = tokio::time::timeout(PULL_TIMEOUT, job.run(options, runtime, &lock));
        let result = run.await.unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "not done within {PULL_TIMEOUT:?} (the limit of one pull): refused"
            ))
        });
        match result {
            Ok((plugin, pulled)) => {
                if !options.locked {
                    lock.pin(&plugin, Some(job.source(&pulled)));
                    pinned = true;
                }
                outcome.pulled.push(pulled);
            }
            Err(reason) => outcome.refused.push(Refused { reference, reason }),
        }
    }
    if pinned {
        lock.write(&options.lock)?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests;
