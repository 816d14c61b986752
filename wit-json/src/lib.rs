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
//!
//! # Example
//!
//! `mul: func(x: f64, y: f64) -> f64` as a tool:
//!
//! ```
//! use moat_wit_json::{Param, Type, Value, decode, encode, schema};
//! use serde_json::json;
//!
//! let param = |name: &str| Param { name: name.into(), ty: Type::F64, docs: None };
//! let params = [param("x"), param("y")];
//!
//! // The tool's input schema.
//! assert_eq!(
//!     json!(schema::input(&params)),
//!     json!({
//!         "type": "object",
//!         "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
//!         "required": ["x", "y"],
//!         "additionalProperties": false,
//!     })
//! );
//! // Its output schema: a number is wrapped as `{"result": …}`; a result
//! // may be NaN or infinite, which JSON writes as a string.
//! let output = schema::output(Some(&Type::F64)).unwrap();
//! assert_eq!(output["required"], json!(["result"]));
//!
//! // The client's arguments, checked before the plugin runs ...
//! let arguments = json!({"x": 25, "y": 17});
//! let values = decode::arguments(&params, arguments.as_object().unwrap()).unwrap();
//! assert_eq!(values, [Value::F64(25.0), Value::F64(17.0)]);
//! // ... or refused, saying where and why.
//! let wrong = json!({"x": 25, "y": "17"});
//! let mismatch = decode::arguments(&params, wrong.as_object().unwrap()).unwrap_err();
//! assert_eq!(mismatch.to_string(), "/y: expected a finite number, got a string");
//!
//! // The plugin's answer as structured content: an integral float is
//! // written as a JSON integer, as the MCP SDKs do.
//! let encode::Outcome::Done(Some(content)) = encode::outcome(Some(&Type::F64), Some(&Value::F64(425.0)))
//! else {
//!     unreachable!()
//! };
//! assert_eq!(serde_json::to_string(&content).unwrap(), r#"{"result":425}"#);
//! ```

mod numbers;
#[cfg(test)]
mod tests;
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
