//! Plugins coming and going: start-up, reloading, dev mode, the lint, the lock, pulling.

pub mod dev;
pub mod lint;
pub mod lock;
pub mod pull;
pub mod reload;
pub mod startup;
pub mod suggested;
pub mod watched;
