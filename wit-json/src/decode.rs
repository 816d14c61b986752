//! JSON to WIT values: the client's arguments, checked against the types.

use serde_json::{Map, Value as Json};

use crate::{Mismatch, Param, Type, Value};

/// The arguments object as the function's parameters, in order. A missing
/// or `null` option parameter is `none`; anything else missing, any
/// property that is not a parameter, and any value that does not fit its
/// type is a [`Mismatch`] naming where.
pub fn arguments(params: &[Param], arguments: &Map<String, Json>) -> Result<Vec<Value>, Mismatch> {
    let _ = (params, arguments);
    todo!()
}

/// `json` as a value of `ty`; `path` is where it sits, for the error.
pub fn value(ty: &Type, json: &Json, path: &str) -> Result<Value, Mismatch> {
    let _ = (ty, json, path);
    todo!()
}
