//! Requests by whom they act for: `moat_identity_requests_total{identity}`.
//!
//! An identity's name comes from the transport (`local`, `anonymous`,
//! `token`) or from an access token the authorization server issued, never
//! from text a client chose; still, an authorization server may issue
//! tokens for many subjects, and each would be a series. So at most
//! [`MAX_IDENTITIES`] names get a series of their own, the first seen; the
//! rest are counted under [`OTHERS`]. A counter, once made, is read from a
//! map behind an [`ArcSwap`] without a lock.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// Most identities with a series of their own (256): enough for the users
/// and agents of one deployment, few enough that a token issuer minting a
/// subject per request cannot grow the metrics without bound.
pub const MAX_IDENTITIES: usize = 256;

/// The label of the identities beyond [`MAX_IDENTITIES`].
pub const OTHERS: &str = "other";

/// The counter family and the counters made so far.
pub struct Identities {
    family: IntCounterVec,
    made: ArcSwap<HashMap<Arc<str>, IntCounter>>,
    others: IntCounter,
}

impl Identities {
    /// The family, registered in `registry`.
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let family = IntCounterVec::new(
            Opts::new(
                "moat_identity_requests_total",
                "MCP requests received, by the identity they act for (local, anonymous, token, or an access token's subject; `other` past 256 identities)",
            ),
            &["identity"],
        )?;
        registry.register(Box::new(family.clone()))?;
        let others = family.with_label_values(&[OTHERS]);
        Ok(Self {
            family,
            made: ArcSwap::default(),
            others,
        })
    }

    /// Counts one request of `identity`.
    pub fn received(&self, identity: &str) {
        if let Some(counter) = self.made.load().get(identity) {
            counter.inc();
            return;
        }
        let mut counter = None;
        self.made.rcu(|made| {
            if made.contains_key(identity) || made.len() >= MAX_IDENTITIES {
                counter = made.get(identity).cloned();
                return Arc::clone(made);
            }
            let mut made = HashMap::clone(made);
            let made_now = self.family.with_label_values(&[identity]);
            counter = Some(made_now.clone());
            made.insert(identity.into(), made_now);
            Arc::new(made)
        });
        counter.as_ref().unwrap_or(&self.others).inc();
    }
}
