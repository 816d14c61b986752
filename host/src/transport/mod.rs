//! The transports a client reaches moat by: stdio, and Streamable HTTP.

pub mod http;
pub mod stdio;
