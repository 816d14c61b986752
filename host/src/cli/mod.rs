//! The commands: `moat serve`, `moat check`, `moat dev`,
//! `moat embed-docs` and `moat audit`.

pub mod audit;
pub mod check;
pub mod dev;
pub mod dev_cargo;
pub mod dev_script;
pub mod embed_docs;
pub mod serve;
mod suggested;
pub mod telemetry;
