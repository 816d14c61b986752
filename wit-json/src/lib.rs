//! WIT values and types as JSON and JSON Schema, in both directions.
//!
//! A plain WebAssembly component exports ordinary typed functions. To serve
//! each one as an MCP tool, the host needs, for every function: a JSON Schema
//! of its arguments ([`schema::input`]) and of its result
//! ([`schema::output`]), a way to turn the client's JSON arguments into WIT
//! values, checked before the plugin runs ([`decode::arguments`]), and a way
//! to turn the values the plugin returns into structured JSON
//! ([`encode::outcome`]). Tool names come from [`names`].
//!
//! Everything here is a pure function of [`Type`]s and [`Value`]s: no
//! runtime, no I/O. The host converts its runtime's types and values to and
//! from these at the boundary.
//!
//! The JSON form of each type is documented on [`Type`]; `docs/any-language.md`
//! has the same table for plugin authors.

mod types;

pub mod decode;
pub mod encode;
pub mod names;
pub mod schema;

pub use types::{Case, Field, Function, Param, Type, Value};

/// A JSON value that does not fit a WIT type, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", if path.is_empty() { "the arguments" } else { path.as_str() })]
pub struct Mismatch {
    /// Where, as a JSON Pointer into the arguments object: `/x`,
    /// `/shape/circle/radius`, `/items/3`. Empty for the object itself.
    pub path: String,
    /// What is wrong there, for a model to act on, e.g.
    /// "expected an integer from 0 to 255, got 300".
    pub problem: String,
}
