//! The MCP server rmcp calls: [`MoatServer`], one per session, whose
//! handler routes each request to the plugin that serves it.

mod handler;
mod input;
mod observing;
mod pages;
mod params;
mod server;

pub use self::params::invalid_params;
pub use self::server::MoatServer;
