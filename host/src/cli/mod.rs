//! The commands beyond serving: `moat check` and `moat dev`.

pub mod check;
pub mod dev;
pub mod dev_cargo;
pub mod dev_script;
