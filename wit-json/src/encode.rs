//! WIT values to JSON: what the plugin returned, as structured content.

use serde_json::{Map, Value as Json};

use crate::{Type, Value};

/// What a call's result means for the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The structured content (shaped as [`crate::schema::output`] says);
    /// `None` for a function that returns nothing.
    Done(Option<Map<String, Json>>),
    /// The function returned `result::err`: a tool error, rendered for a
    /// model (a string as itself, an enum as its case, anything else as
    /// JSON text).
    Failed(String),
}

/// The outcome of a function returning `result` (of type `ty`).
pub fn outcome(ty: Option<&Type>, result: Option<&Value>) -> Outcome {
    let _ = (ty, result);
    todo!()
}

/// `value` (of type `ty`) as JSON.
pub fn value(ty: &Type, value: &Value) -> Json {
    let _ = (ty, value);
    todo!()
}
