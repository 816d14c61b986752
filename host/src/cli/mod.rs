//! The commands: `moat serve`, `moat check`, `moat dev`,
//! `moat embed-docs`, `moat audit` and `moat pull`.

pub mod audit;
pub mod check;
pub mod dev;
pub mod dev_cargo;
pub mod dev_script;
pub mod embed_docs;
mod grants;
mod log_redaction;
pub mod pull;
mod replicas;
pub mod serve;
mod suggested;
pub mod telemetry;
