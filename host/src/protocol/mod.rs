//! The MCP server rmcp calls: [`MoatServer`], one per session, whose
//! handler routes each request to the plugin that serves it.

mod handler;
mod input;
mod pages;
mod server;

pub use self::server::MoatServer;
