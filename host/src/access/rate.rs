//! Rate limits on tool calls (`--rate-limit-identity`, `--rate-limit-tool`),
//! keyed limiters from `governor` (GCRA: no lock shared by all callers, a
//! few atomics per key).
//!
//! A limit stops one identity (a leaked token, a runaway agent) from
//! monopolising the host's plugins and whatever they call upstream. Only
//! calls that passed authorization are counted, and only names that exist
//! (identities that authenticated, tools the registry serves) become keys,
//! so a client cannot grow the state by inventing names; the keys are
//! still capped at [`MAX_KEYS`] per limiter and the idle ones dropped
//! every [`SWEEP`].

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The most keys one limiter holds. Past it (after dropping idle keys),
/// further keys share one key: still limited, in memory that cannot grow.
/// Ten thousand active identities, or identity-tool pairs, is past any
/// single host's real load; each key costs some tens of bytes.
pub const MAX_KEYS: usize = 10_000;

/// How often idle keys are dropped (`retain_recent`).
pub const SWEEP: Duration = Duration::from_secs(60);

/// The key every call past [`MAX_KEYS`] shares.
const OVERFLOW: &str = "\0overflow";

/// A rate as given on the command line: `COUNT/UNIT`, e.g. `60/min`,
/// `10/s`; the burst is the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Calls allowed per period (and at once).
    pub count: NonZeroU32,
    /// The period.
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a rate: write COUNT/UNIT, e.g. 60/min or 10/s (units: s, min, h)"
            )
        };
        let (count, unit) = text.trim().split_once('/').ok_or_else(bad)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(Self { count, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

impl Rate {
    fn quota(self) -> Quota {
        // `per / count` is at least a microsecond for any u32 count.
        let each = (self.per / self.count.get()).max(Duration::from_nanos(1));
        Quota::with_period(each)
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

/// Which limit a call hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `--rate-limit-identity`.
    Identity,
    /// `--rate-limit-tool`.
    Tool,
}

impl Which {
    /// The limit's name, as the metric's `limit` label and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Identity => "rate-limit-identity",
            Self::Tool => "rate-limit-tool",
        }
    }
}

/// A call refused by a rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// The limit hit.
    pub which: Which,
    /// Its rate.
    pub rate: Rate,
    /// How long until a call would pass.
    pub retry_after: Duration,
    /// Whose calls.
    pub identity: Arc<str>,
    /// The tool, for [`Which::Tool`].
    pub tool: Option<String>,
}

impl Limited {
    /// Whole seconds until a call would pass, rounded up (`Retry-After`).
    pub fn retry_secs(&self) -> u64 {
        let d = self.retry_after;
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }
}

impl fmt::Display for Limited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whose = match &self.tool {
            Some(tool) => format!("`{}`'s calls to `{tool}`", self.identity),
            None => format!("`{}`'s tool calls", self.identity),
        };
        write!(
            f,
            "rate limit: {whose} are limited to {} (--{} {}); retry in {}s",
            self.rate,
            self.which.name(),
            self.rate,
            self.retry_secs()
        )
    }
}

/// One keyed limiter and its rate.
struct Keyed {
    rate: Rate,
    limiter: DefaultKeyedRateLimiter<Arc<str>>,
    clock: DefaultClock,
}

impl Keyed {
    fn new(rate: Rate) -> Self {
        Self {
            rate,
            limiter: RateLimiter::keyed(rate.quota()),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a call under `key`; how long to wait if it is over. Past
    /// [`MAX_KEYS`] keys, every call shares one key until the sweep drops
    /// the idle ones.
    fn check(&self, key: &str) -> Result<(), Duration> {
        let key: Arc<str> = if self.limiter.len() >= MAX_KEYS {
            OVERFLOW.into()
        } else {
            key.into()
        };
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The rate limits in force (either may be off).
pub struct RateLimits {
    identity: Option<Keyed>,
    tool: Option<Keyed>,
}

impl RateLimits {
    /// Limits at these rates; `None` when both are off.
    pub fn new(identity: Option<Rate>, tool: Option<Rate>) -> Option<Arc<Self>> {
        if identity.is_none() && tool.is_none() {
            return None;
        }
        Some(Arc::new(Self {
            identity: identity.map(Keyed::new),
            tool: tool.map(Keyed::new),
        }))
    }

    /// Counts one call of `identity` to `tool` (a tool the registry serves,
    /// the call already authorized) against both limits.
    pub fn charge(&self, identity: &Arc<str>, tool: &str) -> Result<(), Limited> {
        let limited = |which, keyed: &Keyed, retry_after, tool: Option<&str>| Limited {
            which,
            rate: keyed.rate,
            retry_after,
            identity: identity.clone(),
            tool: tool.map(str::to_owned),
        };
        if let Some(keyed) = &self.identity {
            keyed
                .check(identity)
                .map_err(|wait| limited(Which::Identity, keyed, wait, None))?;
        }
        if let Some(keyed) = &self.tool {
            keyed
                .check(&format!("{identity}\0{tool}"))
                .map_err(|wait| limited(Which::Tool, keyed, wait, Some(tool)))?;
        }
        Ok(())
    }

    /// Drops the keys idle long enough to be full again.
    pub fn sweep(&self) {
        for keyed in [&self.identity, &self.tool].into_iter().flatten() {
            keyed.limiter.retain_recent();
            keyed.limiter.shrink_to_fit();
        }
    }

    /// How many keys the limiters hold (identity, tool).
    pub fn keys(&self) -> (usize, usize) {
        let len = |k: &Option<Keyed>| k.as_ref().map_or(0, |k| k.limiter.len());
        (len(&self.identity), len(&self.tool))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_refuse_nonsense() {
        let rate: Rate = "60/min".parse().unwrap();
        assert_eq!((rate.count.get(), rate.per.as_secs()), (60, 60));
        assert_eq!("10/s".parse::<Rate>().unwrap().to_string(), "10/s");
        for bad in ["", "0/s", "10", "10/day", "-1/s", "x/s", "99999999999/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_burst_is_the_count_and_limits_are_per_key() {
        let limits = RateLimits::new(Some("3/h".parse().unwrap()), None).unwrap();
        let alice: Arc<str> = "alice".into();
        for _ in 0..3 {
            limits.charge(&alice, "add").unwrap();
        }
        let limited = limits.charge(&alice, "add").unwrap_err();
        assert_eq!(limited.which, Which::Identity);
        assert!(
            limited.retry_secs() > 1000 && limited.retry_secs() <= 1200,
            "{limited}"
        );
        assert!(
            limited.to_string().contains("--rate-limit-identity 3/h"),
            "{limited}"
        );
        limits.charge(&"bob".into(), "add").unwrap();
    }

    #[test]
    fn the_tool_limit_is_per_identity_and_tool() {
        let limits = RateLimits::new(None, Some("1/h".parse().unwrap())).unwrap();
        let alice: Arc<str> = "alice".into();
        limits.charge(&alice, "add").unwrap();
        limits.charge(&alice, "divide").unwrap();
        let limited = limits.charge(&alice, "add").unwrap_err();
        assert_eq!(
            (limited.which, limited.tool.as_deref()),
            (Which::Tool, Some("add"))
        );
        limits.charge(&"bob".into(), "add").unwrap();
    }

    #[test]
    fn keys_are_capped() {
        let limits = RateLimits::new(Some("1/h".parse().unwrap()), None).unwrap();
        for i in 0..MAX_KEYS + 50 {
            let _ = limits.charge(&format!("id{i}").into(), "t");
        }
        assert!(limits.keys().0 <= MAX_KEYS + 1, "{:?}", limits.keys());
        // Past the cap, new identities share one key: the first passes,
        // the rest are limited.
        assert!(limits.charge(&"late".into(), "t").is_err());
    }
}
