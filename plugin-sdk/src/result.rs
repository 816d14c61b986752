//! Building tool results: a tool's failure is a result the model reads,
//! never a trap.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::{Content, ToolResult, schema};

/// What a tool's function may return in its `Ok`, and what the tool's output
/// schema then is:
///
/// - any `serde` type with a `JsonSchema` (a struct, a number, a `String`,
///   a `serde_json::Value`...): the typed path. The value's JSON is the one
///   text item; when the type's schema is an object (a struct), that schema
///   is the tool's output schema and the JSON is also the structured
///   content. A `String` this way is JSON text, quotes included: return
///   [`Content::text`] for plain text.
/// - [`Content`]: one item of explicit MCP content (text, image, audio,
///   resource link, embedded resource), as is. The tool has no output
///   schema.
/// - [`ToolResult`]: the whole WIT result, as is: several content items
///   (`ToolResult::from(vec![...])`), structured content beside explicit
///   content, an error with images. The tool has no output schema unless
///   given one with [`Tool::output_schema`](crate::Tool::output_schema), and
///   then its `structured` must match it.
///
/// The trait is sealed: these are all the types that implement it.
pub trait ToolOutput: sealed::Sealed {
    /// The output schema a tool returning this type has, if any.
    #[doc(hidden)]
    fn output_schema() -> Option<Value>;

    /// Whether [`ToolOutput::output_schema`] is `Some`, without building
    /// it: a tool asks on every call.
    #[doc(hidden)]
    fn has_output_schema() -> bool;

    /// The result of a successful call that returned `self`. `structured`
    /// says whether the tool has an output schema (derived or given).
    #[doc(hidden)]
    fn into_result(self, structured: bool) -> ToolResult;
}

mod sealed {
    pub trait Sealed {}
}

impl<T: Serialize + JsonSchema> sealed::Sealed for T {}

impl<T: Serialize + JsonSchema> ToolOutput for T {
    fn output_schema() -> Option<Value> {
        let schema = schema::output::<T>();
        schema::is_object(&schema).then_some(schema)
    }

    fn has_output_schema() -> bool {
        schema::output_is_object::<T>()
    }

    fn into_result(self, structured: bool) -> ToolResult {
        success(&self, structured)
    }
}

impl sealed::Sealed for Content {}

impl ToolOutput for Content {
    fn output_schema() -> Option<Value> {
        None
    }

    fn has_output_schema() -> bool {
        false
    }

    fn into_result(self, _: bool) -> ToolResult {
        ToolResult::from(vec![self])
    }
}

impl sealed::Sealed for ToolResult {}

impl ToolOutput for ToolResult {
    fn output_schema() -> Option<Value> {
        None
    }

    fn has_output_schema() -> bool {
        false
    }

    fn into_result(self, _: bool) -> ToolResult {
        self
    }
}

/// A tool failure with a message for the model, e.g. `division by zero`.
///
/// A tool may return any `Result<_, E>` whose `E` is
/// [`Display`](fmt::Display); `ToolError` is a ready-made `E` that the `?`
/// operator converts any [`std::error::Error`] into, keeping its chain of
/// causes in the message.
///
/// ```
/// use moat_plugin_sdk::ToolError;
///
/// fn parse(text: &str) -> Result<u8, ToolError> {
///     if text.is_empty() {
///         return Err(ToolError::new("no number given"));
///     }
///     Ok(text.parse()?)
/// }
///
/// assert_eq!(parse("").unwrap_err().to_string(), "no number given");
/// assert_eq!(parse("300").unwrap_err().to_string(), "number too large to fit in target type");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(String);

impl ToolError {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for ToolError {
    fn from(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self(message)
    }
}

/// A successful result of these content items, with no structured content:
/// `Ok(vec![Content::text("Here:"), Content::image(png, "image/png")].into())`.
impl From<Vec<Content>> for ToolResult {
    fn from(content: Vec<Content>) -> Self {
        Self {
            content,
            structured: None,
            is_error: false,
        }
    }
}

/// A failed call: `is-error` set and the message as the only text content.
pub(crate) fn error(message: impl Into<String>) -> ToolResult {
    ToolResult {
        content: vec![Content::Text(message.into())],
        structured: None,
        is_error: true,
    }
}

/// A successful call. The output is serialised once; the JSON text is both
/// the single text content item (for clients that read only content) and,
/// when `structured` is set (the tool has an output schema), the structured
/// result. Whole floats are written as integers (`425`, not `425.0`): JSON
/// does not tell them apart, and a model reading the text should not either.
pub(crate) fn success<T: Serialize>(output: &T, structured: bool) -> ToolResult {
    let json = serde_json::to_value(output).and_then(|mut value| {
        whole_floats_as_integers(&mut value);
        serde_json::to_string(&value)
    });
    match json {
        Ok(json) => ToolResult {
            structured: structured.then(|| json.clone()),
            content: vec![Content::Text(json)],
            is_error: false,
        },
        Err(err) => error(format!("cannot serialise the result: {err}")),
    }
}

/// The largest integer an `f64` holds exactly.
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

fn whole_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(number) => {
            if let Some(float) = number.as_f64()
                && number.is_f64()
                && float.fract() == 0.0
                && float.abs() <= EXACT_F64
            {
                *number = (float as i64).into();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_floats_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Serialize)]
    struct Answer {
        result: f64,
    }

    #[test]
    fn success_is_structured_and_text() {
        let result = success(&Answer { result: 3.0 }, true);
        assert_eq!(
            result,
            ToolResult {
                content: vec![Content::Text(r#"{"result":3}"#.into())],
                structured: Some(r#"{"result":3}"#.into()),
                is_error: false,
            }
        );
    }

    #[test]
    fn only_whole_floats_lose_their_point() {
        let text = |x: f64| success(&Answer { result: x }, false).content;
        assert_eq!(text(425.0), vec![Content::Text(r#"{"result":425}"#.into())]);
        assert_eq!(
            text(-0.25),
            vec![Content::Text(r#"{"result":-0.25}"#.into())]
        );
        assert_eq!(
            text(1e300),
            vec![Content::Text(r#"{"result":1e+300}"#.into())]
        );
    }

    #[test]
    fn success_without_output_schema_is_text_only() {
        let result = success(&42, false);
        assert_eq!(result.content, vec![Content::Text("42".into())]);
        assert_eq!(result.structured, None);
        assert!(!result.is_error);
    }

    #[test]
    fn error_is_text_with_is_error() {
        assert_eq!(
            error("division by zero"),
            ToolResult {
                content: vec![Content::Text("division by zero".into())],
                structured: None,
                is_error: true,
            }
        );
    }

    #[test]
    fn unserialisable_output_is_an_error() {
        let map = BTreeMap::from([((1, 2), "a")]);
        let result = success(&map, true);
        assert!(result.is_error);
        assert_eq!(
            result.content,
            vec![Content::Text(
                "cannot serialise the result: key must be a string".into()
            )]
        );
    }

    #[test]
    fn tool_error_keeps_the_cause_chain() {
        #[derive(Debug)]
        struct Outer(std::num::ParseIntError);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bad count")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let cause = "x".parse::<u8>().unwrap_err();
        assert_eq!(
            ToolError::from(Outer(cause)).to_string(),
            "bad count: invalid digit found in string"
        );
    }
}
