//! JSON Schemas of a function's arguments and result.

use serde_json::{Map, Value as Json};

use crate::{Param, Type};

/// The schema of the arguments object: one property per parameter, the
/// non-option ones required, no others allowed.
pub fn input(params: &[Param]) -> Map<String, Json> {
    let _ = params;
    todo!()
}

/// The schema of the structured result, `None` for a function that returns
/// nothing. A record is the object itself; any other type is wrapped as
/// `{"result": …}`. For `result<T, E>` it is the schema of `T` (wrapped the
/// same way): an `err` is a tool error, not structured content.
pub fn output(result: Option<&Type>) -> Option<Map<String, Json>> {
    let _ = result;
    todo!()
}
