//! Prompts: a named template of messages, filled in from string arguments by
//! a plain function.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{PromptArgument, PromptDescription, PromptMessage, PromptResult, args};

/// One prompt of a plugin: a name, a description, its arguments, and a
/// function from the arguments to messages.
///
/// ```
/// use moat_plugin_sdk::{Prompt, PromptMessage};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Review {
///     code: String,
///     language: Option<String>,
/// }
///
/// fn review(Review { code, language }: Review) -> Result<Vec<PromptMessage>, String> {
///     let language = language.unwrap_or_else(|| "this".into());
///     Ok(vec![PromptMessage::user(format!("Review {language} code:\n{code}"))])
/// }
///
/// let prompt = Prompt::new("review", "Ask for a code review", review)
///     .argument("code", "The code to review", true)
///     .argument("language", "Its programming language", false);
///
/// let result = prompt.get(r#"{"code": "fn main() {}"}"#).unwrap();
/// assert_eq!(result.messages.len(), 1);
/// assert_eq!(prompt.get("{}").unwrap_err(), "missing required argument `code`");
/// ```
pub struct Prompt {
    name: String,
    title: Option<String>,
    description: String,
    arguments: Vec<PromptArgument>,
    get: Box<dyn Fn(Value) -> Result<Vec<PromptMessage>, String>>,
}

impl Prompt {
    /// A prompt called `name` (unique within the plugin, e.g.
    /// `code_review`), that the user knows by `description`, filled in by
    /// `function`.
    ///
    /// - `In` holds the arguments, which MCP sends as strings: a struct of
    ///   `String` fields (`Option<String>` for optional ones), a map of
    ///   strings, or [`NoArguments`](crate::NoArguments). List each argument
    ///   with [`Prompt::argument`]: that list is what clients show, and a
    ///   required argument that is missing is refused before `function`
    ///   runs, as are arguments that do not decode into `In`.
    /// - An `Err(e)` reaches the client as an error (JSON-RPC `-32602`) with
    ///   `e.to_string()` as its message.
    pub fn new<In, E, F>(
        name: impl Into<String>,
        description: impl Into<String>,
        function: F,
    ) -> Self
    where
        In: DeserializeOwned,
        E: fmt::Display,
        F: Fn(In) -> Result<Vec<PromptMessage>, E> + 'static,
    {
        let get = move |arguments: Value| {
            let input = args::decode_value::<In>(arguments)?;
            function(input).map_err(|err| err.to_string())
        };
        Self {
            name: name.into(),
            title: None,
            description: description.into(),
            arguments: Vec::new(),
            get: Box::new(get),
        }
    }

    /// A human-readable name for clients to display.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Declares an argument, e.g. `.argument("code", "The code to review",
    /// true)`; clients list them in this order. Declaring a name again
    /// replaces the earlier one.
    pub fn argument(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        required: bool,
    ) -> Self {
        let argument = PromptArgument {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            required,
        };
        match self.arguments.iter_mut().find(|a| a.name == argument.name) {
            Some(existing) => *existing = argument,
            None => self.arguments.push(argument),
        }
        self
    }

    /// The prompt's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The prompt as `prompts/list` shows it.
    pub fn describe(&self) -> PromptDescription {
        PromptDescription {
            name: self.name.clone(),
            title: self.title.clone(),
            description: Some(self.description.clone()),
            arguments: self.arguments.clone(),
        }
    }

    /// Fills in the prompt from `arguments` (JSON text, an object of
    /// strings), as `prompts/get` does. Empty text or `null` is `{}`.
    pub fn get(&self, arguments: &str) -> Result<PromptResult, String> {
        let arguments = match arguments.trim() {
            "" | "null" => Value::Object(Default::default()),
            text => {
                serde_json::from_str(text).map_err(|err| format!("invalid arguments: {err}"))?
            }
        };
        for argument in self.arguments.iter().filter(|a| a.required) {
            if arguments.get(&argument.name).is_none_or(Value::is_null) {
                return Err(format!("missing required argument `{}`", argument.name));
            }
        }
        let messages = (self.get)(arguments)?;
        Ok(PromptResult {
            description: Some(self.description.clone()),
            messages,
        })
    }
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prompt")
            .field("name", &self.name)
            .field("title", &self.title)
            .field("description", &self.description)
            .field("arguments", &self.arguments)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::{Content, NoArguments, Role};

    fn echo() -> Prompt {
        Prompt::new(
            "echo",
            "Echo the arguments",
            |args: BTreeMap<String, String>| {
                Ok::<_, String>(vec![PromptMessage::user(format!("{args:?}"))])
            },
        )
        .argument("a", "First", true)
        .argument("b", "Second", false)
    }

    #[test]
    fn describes_arguments_in_order() {
        let prompt = echo().argument("a", "First, again", true).describe();
        assert_eq!(prompt.description.as_deref(), Some("Echo the arguments"));
        let names: Vec<_> = prompt.arguments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            prompt.arguments[0].description.as_deref(),
            Some("First, again")
        );
        assert!(prompt.arguments[0].required && !prompt.arguments[1].required);
    }

    #[test]
    fn fills_in_messages() {
        let result = echo().get(r#"{"a": "1"}"#).unwrap();
        assert_eq!(result.messages.len(), 1);
        assert_eq!(result.messages[0].role, Role::User);
        assert_eq!(result.messages[0].content, Content::text(r#"{"a": "1"}"#));
    }

    #[test]
    fn refuses_missing_and_malformed_arguments() {
        assert_eq!(echo().get("").unwrap_err(), "missing required argument `a`");
        assert_eq!(
            echo().get(r#"{"a": null}"#).unwrap_err(),
            "missing required argument `a`"
        );
        assert_eq!(
            echo().get(r#"{"a": 1}"#).unwrap_err(),
            "invalid arguments: a: invalid type: integer `1`, expected a string"
        );
        let none = Prompt::new("none", "Nothing", |_: NoArguments| {
            Err::<Vec<PromptMessage>, _>("no luck")
        });
        assert_eq!(none.get("null").unwrap_err(), "no luck");
    }
}
