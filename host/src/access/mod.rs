//! Who may use what, and how often: the operator's Cedar policy
//! (`--policy FILE`, decided by the `moat-policy` crate) and the rate
//! limits (`--rate-limit-identity`, `--rate-limit-tool`).
//!
//! [`Access`] is shared by every transport and session. The policy sits in
//! an `ArcSwap`, so a decision never takes a lock and a reload (`--watch`)
//! swaps it whole; a bad new file leaves the previous one in force. Without
//! `--policy` everything is allowed, as before.
//!
//! Where it is enforced: the handler (`protocol/`) filters the lists and
//! treats a tool, resource or prompt outside the policy as one that does
//! not exist; on HTTP the guard also refuses a call outside it with 403
//! `insufficient_scope`, and counts the rate limits before rmcp or any
//! plugin sees the request (429); on stdio the handler counts them and
//! answers a tool error.
//!
//! Files: [`args`] (the flags), [`rate`] (the limiters), [`reload`]
//! (`--watch`).

pub mod args;
pub mod rate;
mod reload;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use arc_swap::ArcSwap;
use moat_policy::{Caller, Kind as PolicyKind, Policy, Principal, Target};

pub use self::args::AccessArgs;
use self::rate::{Limited, RateLimits};
pub use self::reload::Reloads;
use crate::auth::Identity;
use crate::auth::Kind;

/// The policy and rate limits in force. Cheap to clone.
#[derive(Clone, Default)]
pub struct Access {
    policy: Option<Arc<Loaded>>,
    limits: Option<Arc<RateLimits>>,
}

/// The policy file and what it holds now.
struct Loaded {
    path: PathBuf,
    current: ArcSwap<Policy>,
}

impl Access {
    /// The policy and limits `args` name; a policy file that cannot be
    /// read or is refused is an error naming each problem and its line.
    pub fn open(args: &AccessArgs) -> anyhow::Result<Self> {
        let policy = match &args.policy {
            Some(path) => {
                let path = path.canonicalize().unwrap_or_else(|_| path.clone());
                let policy = read(&path)?;
                Some(Arc::new(Loaded {
                    path,
                    current: ArcSwap::from_pointee(policy),
                }))
            }
            None => None,
        };
        let limits = RateLimits::new(args.rate_limit_identity, args.rate_limit_tool);
        Ok(Self { policy, limits })
    }

    /// What `identity` may use, as of now (one snapshot of the policy for
    /// the whole request).
    pub fn gate(&self, identity: &Identity) -> Gate {
        Gate(
            self.policy
                .as_ref()
                .map(|loaded| (loaded.current.load_full(), principal(identity))),
        )
    }

    /// Whether a policy is in force (else every gate allows everything).
    pub fn has_policy(&self) -> bool {
        self.policy.is_some()
    }

    /// Counts one authorized call of `identity` to `tool` (a tool that
    /// exists) against the rate limits.
    pub fn charge(&self, identity: &Identity, tool: &str) -> Result<(), Limited> {
        match &self.limits {
            Some(limits) => limits.charge(&identity.name, tool),
            None => Ok(()),
        }
    }

    /// Whether any rate limit is on.
    pub fn has_limits(&self) -> bool {
        self.limits.is_some()
    }

    /// The policy file, if any.
    pub fn policy_path(&self) -> Option<&Path> {
        self.policy.as_ref().map(|loaded| loaded.path.as_path())
    }
}

/// One request's view of the policy: what its caller may use.
pub struct Gate(Option<(Arc<Policy>, Principal)>);

impl Gate {
    /// Whether the caller may use `target`.
    pub fn allows(&self, target: &Target<'_>) -> bool {
        match &self.0 {
            Some((policy, principal)) => policy.allows(principal, target),
            None => true,
        }
    }

    /// `None` if the caller may use `target`, else the scopes that would
    /// grant it (for a 403's `scope=`).
    pub fn refusal(&self, target: &Target<'_>) -> Option<Vec<String>> {
        let (policy, principal) = self.0.as_ref()?;
        let decision = policy.decide(principal, target);
        (!decision.allowed).then_some(decision.scopes)
    }

    /// Whether every target is allowed without asking (no policy).
    pub fn open(&self) -> bool {
        self.0.is_none()
    }
}

/// The Cedar principal for `identity`.
fn principal(identity: &Identity) -> Principal {
    let kind = match identity.kind {
        Kind::Local => PolicyKind::Local,
        Kind::Anonymous => PolicyKind::Anonymous,
        Kind::SharedToken => PolicyKind::Token,
        Kind::OAuth => PolicyKind::OAuth,
    };
    Principal::new(&Caller {
        name: &identity.name,
        kind,
        subject: identity.subject.as_deref(),
        issuer: identity.issuer.as_deref(),
        client_id: identity.client_id.as_deref(),
        scopes: &identity.scopes,
        claims: &identity.claims,
    })
}

/// Reads and parses a policy file.
fn read(path: &Path) -> anyhow::Result<Policy> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the policy file {}", path.display()))?;
    Policy::parse(&text, &path.display().to_string())
        .map_err(|error| anyhow::anyhow!("the policy file is refused:\n{error}"))
}

/// Marks an HTTP request whose calls the guard has already counted against
/// the rate limits, so that the handler does not count them again.
#[derive(Debug, Clone, Copy)]
pub struct Charged;
