//! One plugin to pull: which reference, under which name, at which digest
//! if the lock fixes one; and pulling it (resolve, verify, download,
//! place).

use anyhow::{Context as _, anyhow, bail, ensure};

use super::artifact::{self, Component};
use super::download::{self, SMALL_BLOB};
use super::place::Staging;
use super::reference::{OciReference, Reference, check_name};
use super::{Options, Pulled, signature, unpack, url};
use crate::plugins::LoadedPlugin;
use crate::plugins::lock::{Lock, Source};
use crate::runtime::Runtime;

/// One plugin to pull.
pub struct Job {
    /// The reference as shown and recorded (as typed, or as the lock has it).
    pub shown: String,
    reference: anyhow::Result<Reference>,
    name: String,
    /// The digest the lock fixes (under `--locked`).
    expect: Option<String>,
    /// Whether an existing `NAME.wasm` with other bytes may be replaced.
    replace: bool,
    /// The key and fingerprint that verified it, once it is.
    verified: Option<(String, String)>,
}

/// The plugins to pull: `references` as given, or with none, every pulled
/// plugin of the lock (`--update` re-resolves them, `--locked` fetches
/// them at their locked digests).
pub fn jobs(options: &Options, lock: &Lock, references: &[String]) -> anyhow::Result<Vec<Job>> {
    ensure!(
        options.name.is_none() || references.len() == 1,
        "--name names the plugin of one reference, and {} were given",
        references.len()
    );
    if let Some(name) = &options.name {
        check_name(name).context("--name")?;
    }
    if references.is_empty() {
        ensure!(
            options.update || options.locked,
            "nothing to pull: give a REFERENCE, or --update or --locked to pull what {} records",
            options.lock.display()
        );
        let jobs: Vec<Job> = lock
            .pulled()
            .map(|(name, source)| {
                let reference = check_name(name)
                    .and_then(|()| Reference::parse(&source.reference))
                    .map(|reference| match reference {
                        Reference::Oci(oci) if options.locked => {
                            Reference::Oci(oci.at_digest(&source.digest))
                        }
                        other => other,
                    });
                Job {
                    shown: source.reference.clone(),
                    reference,
                    name: name.to_owned(),
                    expect: options.locked.then(|| source.digest.clone()),
                    replace: options.update,
                    verified: None,
                }
            })
            .collect();
        ensure!(
            !jobs.is_empty(),
            "{} records no pulled plugin",
            options.lock.display()
        );
        return Ok(jobs);
    }
    Ok(references
        .iter()
        .map(|text| {
            let reference = Reference::parse(text);
            let name = match (&options.name, &reference) {
                (Some(name), _) => Ok(name.clone()),
                (None, Ok(reference)) => reference.default_name(),
                (None, Err(_)) => Ok(String::new()),
            };
            let (name, reference) = match name {
                Ok(name) => (name, reference),
                Err(error) => (String::new(), Err(error)),
            };
            let expect = options.locked.then(|| lock.source(&name).map(|s| s.digest.clone()));
            let reference = match expect {
                Some(None) => Err(anyhow!(
                    "`{name}` is not a pulled plugin of {} (--locked pulls only what the lock records)",
                    options.lock.display()
                )),
                _ => reference,
            };
            Job {
                shown: text.clone(),
                reference,
                name,
                expect: expect.flatten(),
                replace: options.update,
                verified: None,
            }
        })
        .collect())
}

impl Job {
    /// Pulls the plugin: written to `DIR/NAME.wasm`, or refused with
    /// nothing written.
    pub async fn run(
        &mut self,
        options: &Options,
        runtime: &Runtime,
        lock: &Lock,
    ) -> anyhow::Result<(LoadedPlugin, Pulled)> {
        let reference = match &self.reference {
            Ok(reference) => reference.clone(),
            Err(error) => bail!("{error:#}"),
        };
        let staging = Staging::new(&options.plugins, &self.name)?;
        let mut suggested = None;
        let digest = match &reference {
            Reference::Oci(oci) => {
                let (digest, text) = self.oci(options, oci, &staging).await?;
                suggested = text;
                digest
            }
            Reference::Url(pinned) => {
                self.check_expected(&pinned.digest)?;
                let mut file = create(&staging.wasm()).await?;
                url::fetch(pinned, &options.connection, options.max_size, &mut file).await?;
                pinned.digest.clone()
            }
        };
        let plugin = staging.check(runtime).await?;
        if options.locked
            && let Some(locked) = lock.wasm(&self.name)
            && locked != &**plugin.digest()
        {
            bail!(
                "the component's bytes are {}, the lock has {locked}: refused",
                plugin.digest()
            );
        }
        let suggestion = staging.suggestion();
        staging.commit(&plugin, self.replace)?;
        if let Some(text) = suggested {
            write_suggestion(&suggestion, &text)?;
            eprintln!(
                "moat pull: {} ships a suggested manifest, written to {}; it grants nothing until you copy what you approve into {}.toml",
                self.shown,
                suggestion.display(),
                self.name
            );
        }
        let pulled = Pulled {
            name: self.name.clone(),
            reference: self.shown.clone(),
            digest,
            key: self.verified.as_ref().map(|(key, _)| key.clone()),
            pinned_url: matches!(reference, Reference::Url(_)),
        };
        Ok((plugin, pulled))
    }

    /// The lock's record of where the plugin came from.
    pub fn source(&self, pulled: &Pulled) -> Source {
        Source {
            reference: self.shown.clone(),
            digest: pulled.digest.clone(),
            key: self.verified.as_ref().map(|(key, _)| key.clone()),
            fingerprint: self.verified.as_ref().map(|(_, print)| print.clone()),
        }
    }

    /// Resolves, verifies and downloads an OCI artifact into `staging`;
    /// returns its digest and the suggested manifest it ships, if any.
    async fn oci(
        &mut self,
        options: &Options,
        oci: &OciReference,
        staging: &Staging,
    ) -> anyhow::Result<(String, Option<Vec<u8>>)> {
        if options.trust.is_none() && !options.allow_unsigned {
            bail!(
                "no trust policy to verify its signature: give --trust FILE (or MOAT_TRUST), or --allow-unsigned"
            );
        }
        let registry = options.connection.registry(oci)?;
        let artifact = artifact::resolve(&registry).await?;
        self.check_expected(&artifact.digest)?;
        self.verified = match (&options.trust, options.allow_unsigned) {
            (Some(policy), allow) => {
                match signature::verify(&registry, policy, &artifact.digest).await {
                    Ok(key) => Some((key.name().to_owned(), key.fingerprint().to_owned())),
                    Err(error) if allow => {
                        unsigned(&self.shown, &format!("{error:#}"));
                        None
                    }
                    Err(error) => return Err(error),
                }
            }
            (None, _) => {
                unsigned(&self.shown, "no --trust policy given");
                None
            }
        };
        let max = options.max_size;
        match &artifact.component {
            Component::Wasm(layer) => {
                let mut file = create(&staging.wasm()).await?;
                download::blob(&registry, layer, max, &mut file).await?;
            }
            Component::Tar { layer, gzip } => {
                let scratch = staging.scratch("layer.tar");
                let mut file = create(&scratch).await?;
                download::blob(&registry, layer, max, &mut file).await?;
                let (wasm, gzip) = (staging.wasm(), *gzip);
                tokio::task::spawn_blocking(move || {
                    let layer = std::fs::File::open(&scratch)?;
                    let mut out = std::fs::File::create(&wasm)?;
                    unpack::component(std::io::BufReader::new(layer), gzip, max, &mut out)?;
                    std::fs::remove_file(&scratch)?;
                    anyhow::Ok(())
                })
                .await??;
            }
        }
        let suggested = match &artifact.suggested {
            Some(layer) => {
                let mut text = Vec::new();
                download::blob(&registry, layer, SMALL_BLOB, &mut text)
                    .await
                    .context("the suggested manifest")?;
                Some(text)
            }
            None => None,
        };
        Ok((artifact.digest, suggested))
    }

    /// Under `--locked`, refuses a digest other than the lock's.
    fn check_expected(&self, digest: &str) -> anyhow::Result<()> {
        match &self.expect {
            Some(locked) if locked != digest => bail!(
                "the tag moved: {} now resolves to {digest}, the lock has {locked}: refused (run moat pull --update to accept it)",
                self.shown
            ),
            _ => Ok(()),
        }
    }
}

/// The loud warning of a pull no trusted key verified.
fn unsigned(reference: &str, why: &str) {
    tracing::warn!(
        "--allow-unsigned: pulling {reference} with no verified signature ({why}); the lock records no key"
    );
}

/// Writes a suggested manifest (it grants nothing) to `file`.
fn write_suggestion(file: &std::path::Path, text: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))
}

async fn create(path: &std::path::Path) -> anyhow::Result<tokio::fs::File> {
    tokio::fs::File::create(path)
        .await
        .with_context(|| format!("cannot write {}", path.display()))
}
