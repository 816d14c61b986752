//! The audit log and the metrics.

pub mod audit;
pub mod audit_events;
pub mod audit_http;
pub mod audit_verify;
pub mod metrics;
