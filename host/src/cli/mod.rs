//! The commands beyond serving: `moat check` and `moat dev`.

pub mod check;
pub mod dev;
