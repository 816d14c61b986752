//! Decoding a tool's (or a prompt's, or a template's) arguments, with errors
//! that name the offending field.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

/// Decodes `arguments` (JSON text) into `T`.
///
/// Absent arguments (empty text or `null`) decode as `{}`, since MCP lets a
/// client leave `arguments` out. Anything else must be a JSON object. The
/// error is the message a model reads, in one of these forms:
///
/// - ``invalid arguments: missing field `y` ``
/// - `invalid arguments: x: invalid type: string "a", expected f64`
/// - `invalid arguments: corners[1].x: invalid type: null, expected f64`
/// - `invalid arguments: expected a JSON object, got an array`
/// - `invalid arguments: EOF while parsing a value at line 1 column 8`
pub(crate) fn decode<T: DeserializeOwned>(arguments: &str) -> Result<T, String> {
    let text = match arguments.trim() {
        "" | "null" => "{}",
        text => text,
    };
    let value: Value =
        serde_json::from_str(text).map_err(|err| format!("invalid arguments: {err}"))?;
    decode_value(value)
}

/// Decodes the JSON `value` into `T`, as [`decode`] does once it has parsed
/// the text.
pub(crate) fn decode_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    if !value.is_object() {
        return Err(format!(
            "invalid arguments: expected a JSON object, got {}",
            kind(&value)
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().clone();
        if path.iter().all(|s| matches!(s, Segment::Unknown)) {
            format!("invalid arguments: {}", err.into_inner())
        } else {
            format!("invalid arguments: {path}: {}", err.into_inner())
        }
    })
}

/// The arguments of a tool or prompt that takes none.
///
/// Its schema is `{"type": "object", "additionalProperties": false}`, what
/// MCP recommends for a tool without parameters. Decoding is lenient all the
/// same: arguments a client sends anyway are ignored.
///
/// ```
/// use moat_plugin_sdk::{Content, NoArguments, Tool};
///
/// let tool = Tool::new("ping", "Answer pong", |_: NoArguments| {
///     Ok::<_, String>(Content::text("pong"))
/// });
/// assert!(!tool.call("{}").is_error);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct NoArguments {}

impl JsonSchema for NoArguments {
    fn schema_name() -> Cow<'static, str> {
        "NoArguments".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "object", "additionalProperties": false })
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Operands {
        x: f64,
        y: f64,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Shape {
        corners: Vec<Operands>,
        #[serde(default)]
        label: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    struct Nothing {}

    fn err<T: DeserializeOwned + std::fmt::Debug>(arguments: &str) -> String {
        decode::<T>(arguments).unwrap_err()
    }

    #[test]
    fn decodes_good_arguments() {
        let ops: Operands = decode(r#"{"x": 1, "y": 2.5, "extra": true}"#).unwrap();
        assert_eq!((ops.x, ops.y), (1.0, 2.5));
    }

    #[test]
    fn missing_field_is_named() {
        assert_eq!(
            err::<Operands>(r#"{"x": 1}"#),
            "invalid arguments: missing field `y`"
        );
    }

    #[test]
    fn wrong_type_names_the_field() {
        assert_eq!(
            err::<Operands>(r#"{"x": "a", "y": 2}"#),
            r#"invalid arguments: x: invalid type: string "a", expected f64"#
        );
    }

    #[test]
    fn nested_paths_are_dotted() {
        assert_eq!(
            err::<Shape>(r#"{"corners": [{"x": 1, "y": 2}, {"x": null, "y": 2}]}"#),
            "invalid arguments: corners[1].x: invalid type: null, expected f64"
        );
        assert_eq!(
            err::<Shape>(r#"{"corners": [], "label": 3}"#),
            "invalid arguments: label: invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn not_an_object() {
        assert_eq!(
            err::<Operands>("[1, 2]"),
            "invalid arguments: expected a JSON object, got an array"
        );
        assert_eq!(
            err::<Operands>(r#""x""#),
            "invalid arguments: expected a JSON object, got a string"
        );
    }

    #[test]
    fn not_json_keeps_the_position() {
        assert_eq!(
            err::<Operands>(r#"{"x": 1,"#),
            "invalid arguments: EOF while parsing a value at line 1 column 8"
        );
        assert_eq!(
            err::<Operands>(r#"{"x": 1, "y": 2} trailing"#),
            "invalid arguments: trailing characters at line 1 column 18"
        );
    }

    #[test]
    fn no_arguments_is_a_closed_object_that_ignores_extras() {
        let schema = crate::schema::input::<NoArguments>();
        assert_eq!(
            schema,
            serde_json::json!({ "type": "object", "additionalProperties": false })
        );
        assert_eq!(decode::<NoArguments>(r#"{"stray": 1}"#), Ok(NoArguments {}));
    }

    #[test]
    fn absent_arguments_are_an_empty_object() {
        assert!(decode::<Nothing>("").is_ok());
        assert!(decode::<Nothing>(" null ").is_ok());
        assert_eq!(err::<Operands>(""), "invalid arguments: missing field `x`");
    }
}
