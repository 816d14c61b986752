//! The MCP server rmcp calls: [`MoatServer`], one per session, whose
//! handler routes each request to the plugin that serves it.

mod admit;
mod handler;
mod input;
mod instrumented;
mod observing;
mod pages;
mod params;
mod server;
mod spans;
mod visible;

pub use self::input::Retry;
pub use self::instrumented::Instrumented;
pub use self::params::invalid_params;
pub use self::server::MoatServer;
