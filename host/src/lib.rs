//! moat: an MCP host that runs every tool as a sandboxed WebAssembly component.
//!
//! The library holds the pieces; the `moat` binary parses its command line
//! and wires them together.

mod bindings;
pub mod check;
pub mod dev;
pub mod error;
pub mod http;
pub mod limits;
pub mod loader;
pub mod lock;
pub mod manifest;
pub mod plugin;
pub mod registry;
pub mod runtime;
pub mod sandbox;
pub mod server;
pub mod startup;
mod state;
pub mod stdio;
mod tool_def;
mod tool_result;
pub mod watcher;
