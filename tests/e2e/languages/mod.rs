//! Plugins from other languages (Python, JavaScript) and plain typed WIT components.

pub mod langs;
pub mod langs_dev;
pub mod langs_typed;
pub mod typed;
pub mod typed_load;
