//! Who a request acts for: the [`Identity`] every transport establishes
//! before a request reaches the protocol, which authorization, rate limits,
//! the audit log and the metrics read.

mod identity;

pub use self::identity::{Identity, Kind};
