//! A tool: a plain Rust function plus what the host shows of it.

use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Annotations, ToolDescription, ToolOutput, ToolResult, args, result, schema};

/// One tool of a plugin: a name, a description, and a function from a
/// `serde` type to a `Result` of another, or of explicit content.
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
///
/// A tool that answers with MCP content rather than JSON returns
/// [`Content`](crate::Content), or a [`ToolResult`] for several items; it has
/// no output schema:
///
/// ```
/// use moat_plugin_sdk::{Content, NoArguments, Tool, ToolResult};
///
/// let png: &[u8] = &[0x89, b'P', b'N', b'G' /* ... */];
/// let pixel = Tool::new("pixel", "Show a pixel", move |_: NoArguments| {
///     Ok::<_, String>(ToolResult::from(vec![
///         Content::text("Here is a pixel:"),
///         Content::image(png, "image/png"),
///     ]))
/// });
/// assert_eq!(pixel.describe().output_schema, None);
/// assert_eq!(pixel.call("{}").content.len(), 2);
/// ```
pub struct Tool {
    name: String,
    title: Option<String>,
    description: String,
    annotations: Annotations,
    input_schema: Schema,
    output_schema: Schema,
    /// Whether the derived output schema is there ([`ToolOutput::has_output_schema`]).
    has_output_schema: fn() -> bool,
    handler: Handler,
}

/// Runs the tool on its arguments (JSON text); the flag says whether the
/// tool has an output schema, so the result must be structured.
type Handler = Box<dyn Fn(&str, bool) -> ToolResult>;

/// A schema derived from a Rust type when the host asks for it (only
/// `describe` needs it), or given by the author as JSON.
enum Schema {
    Derived(fn() -> Option<Value>),
    Given(Value),
}

impl Schema {
    fn get(&self) -> Option<Value> {
        match self {
            Schema::Derived(derive) => derive(),
            Schema::Given(schema) => Some(schema.clone()),
        }
    }
}

fn input_schema<In: JsonSchema>() -> Option<Value> {
    Some(schema::input::<In>())
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
    ///   panics otherwise. A tool without arguments takes
    ///   [`NoArguments`](crate::NoArguments). To give the schema as JSON
    ///   instead, see [`Tool::input_schema`].
    /// - `Out` is the result: a `serde` type, or explicit content. See
    ///   [`ToolOutput`] for each and the output schema it gives the tool. In
    ///   short: when `Out` is a struct, its schema is the tool's output
    ///   schema and each result carries the JSON as structured content as
    ///   well as text; any other `serde` type is JSON text only; content is
    ///   sent as it is.
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
        Out: ToolOutput,
        E: fmt::Display,
        F: Fn(In) -> Result<Out, E> + 'static,
    {
        let handler = move |arguments: &str, structured: bool| match args::decode::<In>(arguments) {
            Err(message) => result::error(message),
            Ok(input) => match function(input) {
                Ok(output) => output.into_result(structured),
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
            input_schema: Schema::Derived(input_schema::<In>),
            output_schema: Schema::Derived(Out::output_schema),
            has_output_schema: Out::has_output_schema,
            handler: Box::new(handler),
        }
    }

    /// Gives the tool this input schema, a JSON Schema of `"type":
    /// "object"`, instead of the one derived from its argument type. The
    /// host passes it to clients as it is (`$schema`, `$defs`, `allOf`,
    /// `if`/`then`/`else` and all), so it suits a schema that a Rust type
    /// cannot say; the function then usually takes a
    /// `serde_json::Map<String, serde_json::Value>` and checks what it needs.
    /// Arguments are not validated against it.
    pub fn input_schema(mut self, schema: Value) -> Self {
        self.input_schema = Schema::Given(schema);
        self
    }

    /// Gives the tool this output schema, a JSON Schema of `"type":
    /// "object"`, instead of the one its result type implies (see
    /// [`ToolOutput`]). Every successful result must then carry structured
    /// content matching it: a `serde` result does, as its JSON; a
    /// [`ToolResult`] must set `structured`. A success without structured
    /// content becomes an error result rather than break the schema's
    /// promise.
    pub fn output_schema(mut self, schema: Value) -> Self {
        self.output_schema = Schema::Given(schema);
        self
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
    /// If the input schema is not a JSON object (see [`Tool::new`]), or an
    /// output schema given with [`Tool::output_schema`] is not.
    pub fn describe(&self) -> ToolDescription {
        let input = self.input_schema.get().unwrap_or_default();
        assert!(
            schema::is_object(&input),
            "moat-plugin-sdk: the arguments of tool `{}` must be a struct (a JSON object), \
             but their schema is {input}",
            self.name
        );
        let output = self.output_schema.get();
        if let Some(output) = &output {
            assert!(
                schema::is_object(output),
                "moat-plugin-sdk: the output schema of tool `{}` must be a JSON object, \
                 but it is {output}",
                self.name
            );
        }
        let a = &self.annotations;
        let annotated = [a.read_only, a.destructive, a.idempotent, a.open_world]
            .iter()
            .any(Option::is_some);
        ToolDescription {
            name: self.name.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            input_schema: input.to_string(),
            output_schema: output.map(|output| output.to_string()),
            annotations: annotated.then_some(self.annotations),
        }
    }

    /// Runs the tool on `arguments` (JSON text). Never panics on bad input:
    /// see [`Tool::new`] for what becomes an error result.
    pub fn call(&self, arguments: &str) -> ToolResult {
        let structured =
            matches!(self.output_schema, Schema::Given(_)) || (self.has_output_schema)();
        let result = (self.handler)(arguments, structured);
        if structured && !result.is_error && result.structured.is_none() {
            return result::error(format!(
                "tool `{}` has an output schema but returned no structured content",
                self.name
            ));
        }
        result
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
    use serde::{Deserialize, Serialize};
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

    #[test]
    fn content_is_sent_as_is_without_output_schema() {
        let hello = Tool::new("hello", "Say hello", |_: crate::NoArguments| {
            Ok::<_, String>(Content::text("Hello"))
        });
        assert_eq!(hello.describe().output_schema, None);
        let result = hello.call("{}");
        assert_eq!(text(&result), "Hello");
        assert_eq!((result.structured, result.is_error), (None, false));

        let both = Tool::new("both", "Two items", |_: crate::NoArguments| {
            Ok::<_, String>(ToolResult::from(vec![
                Content::text("a"),
                Content::audio([0u8], "audio/wav"),
            ]))
        });
        assert_eq!(both.describe().output_schema, None);
        assert_eq!(both.call("{}").content.len(), 2);
    }

    #[test]
    fn given_input_schema_is_passed_through() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": { "a": { "$ref": "#/$defs/a" } },
            "$defs": { "a": { "$anchor": "aDef", "type": "string" } },
            "additionalProperties": false
        });
        let raw = Tool::new(
            "raw",
            "Take anything",
            |args: serde_json::Map<String, Value>| {
                Ok::<_, String>(Content::text(format!("{} arguments", args.len())))
            },
        )
        .input_schema(schema.clone());
        let described: Value = serde_json::from_str(&raw.describe().input_schema).unwrap();
        assert_eq!(described, schema);
        assert_eq!(text(&raw.call(r#"{"a": "x"}"#)), "1 arguments");
    }

    #[test]
    fn given_output_schema_needs_structured_content() {
        let schema = json!({ "type": "object", "properties": { "n": { "type": "integer" } } });
        let typed = Tool::new("typed", "A number", |_: crate::NoArguments| {
            Ok::<_, String>(json!({ "n": 1 }))
        })
        .output_schema(schema.clone());
        let described: Value =
            serde_json::from_str(typed.describe().output_schema.as_deref().unwrap()).unwrap();
        assert_eq!(described, schema);
        assert_eq!(typed.call("{}").structured.as_deref(), Some(r#"{"n":1}"#));

        let liar = Tool::new("liar", "Promises structure", |_: crate::NoArguments| {
            Ok::<_, String>(Content::text("no structure"))
        })
        .output_schema(schema);
        let result = liar.call("{}");
        assert!(result.is_error);
        assert_eq!(
            text(&result),
            "tool `liar` has an output schema but returned no structured content"
        );
    }

    #[test]
    #[should_panic(expected = "the output schema of tool `odd` must be a JSON object")]
    fn given_output_schema_must_be_an_object() {
        Tool::new("odd", "Odd", |_: crate::NoArguments| Ok::<_, String>(1))
            .output_schema(json!({ "type": "integer" }))
            .describe();
    }
}
