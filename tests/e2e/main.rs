//! End-to-end tests: the real `moat` binary, the real sample plugins built
//! for wasm32-wasip2, and real MCP clients.

mod access;
mod access_http;
mod audit;
mod audit_events;
mod audit_http;
mod audit_verify;
mod cli;
mod dev;
mod harness;
mod host_limits;
mod instance_pool;
mod langs;
mod langs_dev;
mod langs_typed;
mod lint;
mod listings;
mod lock;
mod metrics;
mod pull;
mod raw_stdio;
mod reload;
mod rust_client;
mod sandbox;
mod secret_grants;
mod secret_grants_refused;
mod secret_grants_reload;
mod secrets;
mod startup;
mod stdio_backpressure;
mod stdio_framing;
mod suggested;
mod typed;
mod typed_load;
mod watched;
