//! The plugins being served: loading one ([`LoadedPlugin`]), the live
//! registry that routes each tool, resource and prompt to its plugin,
//! reloading as files change, and the lock that pins what they say.

pub mod bounds;
pub(crate) mod convert;
pub mod error;
pub mod listing;
mod load;
pub mod loader;
pub mod lock;
mod plugin;
pub mod readiness;
pub mod registry;
mod secrets;
pub mod startup;
mod typed_tools;
mod uri_template;
pub mod watcher;

pub use self::error::LoadError;
pub use self::loader::Loader;
pub use self::plugin::LoadedPlugin;
pub use self::registry::{LiveRegistry, Registry};
