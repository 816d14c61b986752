//! End-to-end tests: the real `moat` binary, the real sample plugins built
//! for wasm32-wasip2, and real MCP clients.

mod authorization;
mod cli;
mod harness;
mod isolation;
mod languages;
mod lifecycle;
mod observability;
mod transport;
