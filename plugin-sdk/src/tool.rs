//! A tool: a plain Rust function plus what the host shows of it.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Annotations, ToolDescription, ToolResult, args, result, schema};

/// One tool of a plugin: a name, a description, and a function from a
/// `serde` type to a `Result` of another.
///
/// ```
/// use moat_plugin_sdk::{Tool, ToolError};
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, JsonSchema)]
/// struct Word {
///     /// The word to count the letters of.
///     word: String,
/// }
///
/// #[derive(Serialize, JsonSchema)]
/// struct Count {
///     letters: usize,
/// }
///
/// fn count(Word { word }: Word) -> Result<Count, ToolError> {
///     Ok(Count { letters: word.chars().count() })
/// }
///
/// let tool = Tool::new("count", "Count the letters of a word", count)
///     .title("Count letters")
///     .read_only(true)
///     .open_world(false);
///
/// let result = tool.call(r#"{"word": "moat"}"#);
/// assert_eq!(result.structured.as_deref(), Some(r#"{"letters":4}"#));
/// ```
pub struct Tool {
    name: String,
    title: Option<String>,
    description: String,
    annotations: Annotations,
    input_schema: fn() -> serde_json::Value,
    output_schema: fn() -> serde_json::Value,
    handler: Box<dyn Fn(&str) -> ToolResult>,
}

impl Tool {
    /// A tool called `name` (unique within the plugin, e.g. `add`) that the
    /// model knows by `description` (e.g. `Add two numbers`) and that runs
    /// `function`.
    ///
    /// - `In` is the arguments object. Its JSON Schema, derived with
    ///   `schemars`, is the tool's input schema; doc comments on its fields
    ///   become descriptions the model reads. It must be a struct (or a map):
    ///   MCP requires the arguments to be a JSON object, and [`describe`]
    ///   panics otherwise. A tool without arguments takes an empty struct,
    ///   `struct NoArguments {}`.
    /// - `Out` is the result. When its schema is a JSON object (a struct), it
    ///   is the tool's output schema and each result carries the JSON as
    ///   structured content as well as text; otherwise the tool has no output
    ///   schema and the JSON is text only.
    /// - An `Err(e)` becomes a result with `is-error` set and `e.to_string()`
    ///   as its text, for the model to read and act on. So do arguments that
    ///   do not decode into `In`.
    ///
    /// [`describe`]: crate::describe
    pub fn new<In, Out, E, F>(
        name: impl Into<String>,
        description: impl Into<String>,
        function: F,
    ) -> Self
    where
        In: DeserializeOwned + JsonSchema,
        Out: Serialize + JsonSchema,
        E: fmt::Display,
        F: Fn(In) -> Result<Out, E> + 'static,
    {
        let handler = move |arguments: &str| match args::decode::<In>(arguments) {
            Err(message) => result::error(message),
            Ok(input) => match function(input) {
                Ok(output) => {
                    let structured = schema::is_object(&schema::output::<Out>());
                    result::success(&output, structured)
                }
                Err(err) => result::error(err.to_string()),
            },
        };
        Self {
            name: name.into(),
            title: None,
            description: description.into(),
            annotations: Annotations {
                read_only: None,
                destructive: None,
                idempotent: None,
                open_world: None,
            },
            input_schema: schema::input::<In>,
            output_schema: schema::output::<Out>,
            handler: Box::new(handler),
        }
    }

    /// A human-readable name for clients to display, e.g. `Add`.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Says whether the tool leaves its environment unchanged
    /// (MCP `readOnlyHint`; unstated, clients assume `false`).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.annotations.read_only = Some(read_only);
        self
    }

    /// Says whether the tool may destroy or overwrite data, when it is not
    /// read-only (MCP `destructiveHint`; unstated, clients assume `true`).
    pub fn destructive(mut self, destructive: bool) -> Self {
        self.annotations.destructive = Some(destructive);
        self
    }

    /// Says whether calling the tool again with the same arguments has no
    /// further effect (MCP `idempotentHint`; unstated, clients assume
    /// `false`).
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.annotations.idempotent = Some(idempotent);
        self
    }

    /// Says whether the tool reaches an open world of external entities, such
    /// as the web, or only a closed domain such as its arguments
    /// (MCP `openWorldHint`; unstated, clients assume `true`).
    pub fn open_world(mut self, open_world: bool) -> Self {
        self.annotations.open_world = Some(open_world);
        self
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The tool as the host sees it: names, schemas (as JSON text) and
    /// annotations.
    ///
    /// # Panics
    ///
    /// If the input type's schema is not a JSON object (see [`Tool::new`]).
    pub fn describe(&self) -> ToolDescription {
        let input = (self.input_schema)();
        assert!(
            schema::is_object(&input),
            "moat-plugin-sdk: the arguments of tool `{}` must be a struct (a JSON object), \
             but their schema is {input}",
            self.name
        );
        let output = (self.output_schema)();
        let a = &self.annotations;
        let annotated = [a.read_only, a.destructive, a.idempotent, a.open_world]
            .iter()
            .any(Option::is_some);
        ToolDescription {
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            input_schema: input.to_string(),
            output_schema: schema::is_object(&output).then(|| output.to_string()),
            annotations: annotated.then_some(self.annotations),
        }
    }

    /// Runs the tool on `arguments` (JSON text). Never panics on bad input:
    /// see [`Tool::new`] for what becomes an error result.
    pub fn call(&self, arguments: &str) -> ToolResult {
        (self.handler)(arguments)
    }
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool")
            .field("name", &self.name)
            .field("title", &self.title)
            .field("description", &self.description)
            .field("annotations", &self.annotations)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;
    use crate::{Content, ToolError};

    #[derive(Deserialize, JsonSchema)]
    struct Operands {
        /// The left operand.
        x: f64,
        /// The right operand.
        y: f64,
    }

    #[derive(Serialize, JsonSchema)]
    struct Answer {
        result: f64,
    }

    fn div(Operands { x, y }: Operands) -> Result<Answer, ToolError> {
        if y == 0.0 {
            return Err(ToolError::new("division by zero"));
        }
        Ok(Answer { result: x / y })
    }

    fn divide() -> Tool {
        Tool::new("div", "Divide x by y", div)
            .title("Divide")
            .read_only(true)
            .idempotent(true)
            .open_world(false)
    }

    fn text(result: &ToolResult) -> &str {
        match result.content.as_slice() {
            [Content::Text(text)] => text,
            other => panic!("expected one text item, got {other:?}"),
        }
    }

    #[test]
    fn describes_names_schemas_and_annotations() {
        let tool = divide().describe();
        assert_eq!(tool.name, "div");
        assert_eq!(tool.title.as_deref(), Some("Divide"));
        assert_eq!(tool.description, "Divide x by y");
        let input: Value = serde_json::from_str(&tool.input_schema).unwrap();
        assert_eq!(
            input,
            json!({
                "type": "object",
                "properties": {
                    "x": { "type": "number", "format": "double", "description": "The left operand." },
                    "y": { "type": "number", "format": "double", "description": "The right operand." }
                },
                "required": ["x", "y"]
            })
        );
        let output: Value = serde_json::from_str(tool.output_schema.as_deref().unwrap()).unwrap();
        assert_eq!(
            output,
            json!({
                "type": "object",
                "properties": { "result": { "type": "number", "format": "double" } },
                "required": ["result"]
            })
        );
        assert_eq!(
            tool.annotations,
            Some(Annotations {
                read_only: Some(true),
                destructive: None,
                idempotent: Some(true),
                open_world: Some(false),
            })
        );
    }

    #[test]
    fn unannotated_tool_has_no_annotations() {
        let tool = Tool::new("div", "Divide x by y", div).describe();
        assert_eq!(tool.title, None);
        assert_eq!(tool.annotations, None);
    }

    #[test]
    fn scalar_output_has_no_output_schema_and_no_structured_content() {
        let half = Tool::new("half", "Halve x", |o: Operands| Ok::<_, String>(o.x / 2.0));
        assert_eq!(half.describe().output_schema, None);
        let result = half.call(r#"{"x": 3, "y": 0}"#);
        assert_eq!(text(&result), "1.5");
        assert_eq!(result.structured, None);
        assert!(!result.is_error);
    }

    #[test]
    #[should_panic(expected = "the arguments of tool `twice` must be a struct")]
    fn scalar_input_is_refused_at_describe() {
        Tool::new("twice", "Double x", |x: f64| Ok::<_, String>(x * 2.0)).describe();
    }

    #[test]
    fn success_is_structured_and_the_same_text() {
        let result = divide().call(r#"{"x": 1, "y": 4}"#);
        assert!(!result.is_error);
        assert_eq!(text(&result), r#"{"result":0.25}"#);
        assert_eq!(result.structured.as_deref(), Some(r#"{"result":0.25}"#));
    }

    #[test]
    fn tool_error_is_an_error_result() {
        let result = divide().call(r#"{"x": 1, "y": 0}"#);
        assert!(result.is_error);
        assert_eq!(text(&result), "division by zero");
        assert_eq!(result.structured, None);
    }

    #[test]
    fn any_display_error_is_an_error_result() {
        let fail = Tool::new("fail", "Always fails", |_: Operands| {
            Err::<Answer, _>(format!("no luck with {}", 7))
        });
        let result = fail.call(r#"{"x": 1, "y": 0}"#);
        assert!(result.is_error);
        assert_eq!(text(&result), "no luck with 7");
    }

    #[test]
    fn bad_arguments_are_an_error_result_naming_the_field() {
        let result = divide().call(r#"{"x": "a", "y": 1}"#);
        assert!(result.is_error);
        assert_eq!(
            text(&result),
            r#"invalid arguments: x: invalid type: string "a", expected f64"#
        );
        let result = divide().call(r#"{"x": 1}"#);
        assert!(result.is_error);
        assert_eq!(text(&result), "invalid arguments: missing field `y`");
    }
}
