//! Running plugins: the engine and linker shared by all ([`Runtime`]), and
//! one request run in a fresh instance of a plugin ([`Instances::run`]),
//! with the host functions it imports and each way a run can fail.

pub(crate) mod bindings;
mod cause;
mod engine;
mod error;
mod exports;
mod imports;
mod instances;
mod invoke;
mod limiter;
mod no_http;
mod open_files;
mod state;

pub use self::engine::{CompileCache, Runtime};
pub use self::error::CallError;
pub(crate) use self::exports::Exports;
pub(crate) use self::instances::Instances;
pub(crate) use self::invoke::{Described, Op, Output};
pub use self::state::CallState;
