//! The stdio and HTTP transports, as clients see them.

pub mod listings;
pub mod raw_stdio;
pub mod rust_client;
pub mod stdio_backpressure;
pub mod stdio_framing;
