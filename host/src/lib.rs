//! moat: an MCP host that runs every tool as a sandboxed WebAssembly component.
//!
//! The library holds the pieces; the `moat` binary parses its command line
//! and wires them together.

mod bindings;
pub mod check;
pub mod client;
pub mod dev;
pub mod error;
mod exports;
pub mod http;
mod input;
mod instances;
mod invoke;
pub mod limits;
pub mod loader;
pub mod lock;
pub mod manifest;
pub mod plugin;
pub mod registry;
pub mod runtime;
pub mod sandbox;
pub mod server;
mod server_def;
pub mod startup;
mod state;
pub mod stdio;
pub mod subscriptions;
mod tool_def;
mod tool_result;
mod uri_template;
pub mod watcher;
