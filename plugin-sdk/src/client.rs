//! Talking to the client while handling a request: asking it questions
//! (elicitation, sampling, roots), reading its capabilities, reporting
//! progress, and saying a resource changed.
//!
//! Every function reaches only the client whose request the plugin is
//! handling, and only inside a component run by moat: in a plugin's native
//! tests, [`ask`] (and so [`elicit`], [`sample`] and [`roots`]) fails,
//! [`capabilities`] is `{}`, and [`progress`] and [`resource_updated`]
//! write to standard error.
//!
//! # Asking the same questions each run
//!
//! A client on a stateless transport (MCP 2026-07-28) cannot be asked
//! mid-request. There the host stops the plugin at the first question it has
//! no answer for, returns the questions to the client, and, once the client
//! answers, **runs the request again from the start**, answering each
//! question from what the client said. So a request must ask the same
//! questions, with the same keys, in the same order, every time it runs:
//! derive them from the arguments and from earlier answers only, never from
//! the clock, randomness or anything else that may change between runs, and
//! do nothing before a question that must not happen twice. A key names its
//! question within the request (`user_name`, `confirm`...).
//!
//! ```no_run
//! use moat_plugin_sdk::client::{self, ElicitAction};
//! use moat_plugin_sdk::serde_json::json;
//!
//! # fn tool() -> Result<String, String> {
//! let schema = json!({
//!     "type": "object",
//!     "properties": { "name": { "type": "string" } },
//!     "required": ["name"]
//! });
//! let answer = client::elicit("user_name", "What is your name?", schema)?;
//! match answer.field("name").and_then(|name| name.as_str()) {
//!     Some(name) => Ok(format!("Hello, {name}!")),
//!     None if answer.action == ElicitAction::Decline => Ok("Hello, whoever you are.".into()),
//!     None => Ok("Hello, stranger.".into()),
//! }
//! # }
//! ```

use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// One question for the client: a key the plugin chooses, an MCP method,
/// and that method's params.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    key: String,
    method: String,
    params: Value,
}

impl Question {
    /// A question by MCP method (`elicitation/create`,
    /// `sampling/createMessage` or `roots/list`) with its params object, for
    /// what the other constructors do not say (several sampling messages, a
    /// system prompt, model preferences...).
    pub fn new(key: impl Into<String>, method: impl Into<String>, params: Value) -> Self {
        Self {
            key: key.into(),
            method: method.into(),
            params,
        }
    }

    /// Ask the user to fill in a form: `elicitation/create` with params
    /// `{"message": message, "requestedSchema": schema}`. The schema is a
    /// flat JSON Schema object of strings, numbers, booleans and enums; the
    /// answer decodes as an [`ElicitResult`].
    pub fn elicit(key: impl Into<String>, message: impl Into<String>, schema: Value) -> Self {
        let params = json!({ "message": message.into(), "requestedSchema": schema });
        Self::new(key, "elicitation/create", params)
    }

    /// Ask the client's model: `sampling/createMessage` with one user
    /// message, `{"messages": [{"role": "user", "content": {"type": "text",
    /// "text": prompt}}], "maxTokens": max_tokens}`. The answer decodes as a
    /// [`SampleResult`].
    pub fn sample(key: impl Into<String>, prompt: impl Into<String>, max_tokens: u32) -> Self {
        let params = json!({
            "messages": [{ "role": "user", "content": { "type": "text", "text": prompt.into() } }],
            "maxTokens": max_tokens,
        });
        Self::new(key, "sampling/createMessage", params)
    }

    /// Ask for the client's roots: `roots/list` with params `{}`. The answer
    /// is `{"roots": [...]}`; `decode(&answer["roots"])` gives the
    /// [`Root`]s.
    pub fn roots(key: impl Into<String>) -> Self {
        Self::new(key, "roots/list", json!({}))
    }

    /// The key that names the question within its request.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// Asks the client every question at once and returns its answers, in the
/// order asked: each the MCP result as JSON (`ElicitResult`,
/// `CreateMessageResult`, `ListRootsResult`). Read them with [`decode`].
///
/// See the [module documentation](self) for why a request must ask the same
/// questions each time it runs. Asking for something the client did not
/// declare (see [`supports`]) fails the whole request, so check first when a
/// question is optional. `Err` is the client's own error, or a
/// malformed answer; two questions with the same key are refused before
/// anything is sent.
pub fn ask(questions: &[Question]) -> Result<Vec<Value>, String> {
    for (i, question) in questions.iter().enumerate() {
        if questions[..i].iter().any(|q| q.key == question.key) {
            return Err(format!("two questions have the key `{}`", question.key));
        }
    }
    let answers = ask_host(questions)?;
    if answers.len() != questions.len() {
        return Err(format!(
            "the host gave {} answers to {} questions",
            answers.len(),
            questions.len()
        ));
    }
    questions
        .iter()
        .zip(answers)
        .map(|(question, answer)| {
            serde_json::from_str(&answer)
                .map_err(|err| format!("the answer to `{}` is not JSON: {err}", question.key))
        })
        .collect()
}

#[cfg(target_arch = "wasm32")]
fn ask_host(questions: &[Question]) -> Result<Vec<String>, String> {
    use crate::bindings::moat::plugin::client::InputRequest;
    let requests: Vec<InputRequest> = questions
        .iter()
        .map(|q| InputRequest {
            key: q.key.clone(),
            method: q.method.clone(),
            params: q.params.to_string(),
        })
        .collect();
    crate::bindings::moat::plugin::client::ask(&requests)
}

#[cfg(not(target_arch = "wasm32"))]
fn ask_host(_: &[Question]) -> Result<Vec<String>, String> {
    Err("there is no client to ask outside a component run by moat".into())
}

/// Decodes one answer of [`ask`] into `T` (an [`ElicitResult`], a
/// [`SampleResult`], `Vec<Root>` from `answer["roots"]`...), with a message
/// that says what did not fit.
pub fn decode<T: DeserializeOwned>(answer: &Value) -> Result<T, String> {
    T::deserialize(answer).map_err(|err| format!("unexpected answer from the client: {err}"))
}

/// Asks the user to fill in a form (see [`Question::elicit`]) and waits for
/// the answer.
pub fn elicit(
    key: impl Into<String>,
    message: impl Into<String>,
    schema: Value,
) -> Result<ElicitResult, String> {
    let answers = ask(&[Question::elicit(key, message, schema)])?;
    decode(&answers[0])
}

/// Asks the client's model to answer `prompt` in at most `max_tokens` tokens
/// (see [`Question::sample`]) and waits for the answer.
pub fn sample(
    key: impl Into<String>,
    prompt: impl Into<String>,
    max_tokens: u32,
) -> Result<SampleResult, String> {
    let answers = ask(&[Question::sample(key, prompt, max_tokens)])?;
    decode(&answers[0])
}

/// Asks for the client's roots (see [`Question::roots`]) and waits for them.
pub fn roots(key: impl Into<String>) -> Result<Vec<Root>, String> {
    let answers = ask(&[Question::roots(key)])?;
    decode(&answers[0]["roots"])
}

/// What the user did with a form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ElicitResult {
    /// Whether the user submitted, declined or dismissed the form.
    pub action: ElicitAction,
    /// The form's values, when the user accepted.
    #[serde(default)]
    pub content: Option<Map<String, Value>>,
}

impl ElicitResult {
    /// The value the user gave for `field`, if the user accepted the form
    /// and filled that field in.
    pub fn field(&self, field: &str) -> Option<&Value> {
        match (self.action, &self.content) {
            (ElicitAction::Accept, Some(content)) => content.get(field),
            _ => None,
        }
    }
}

/// What the user did with a form, MCP's `action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// Submitted it: `content` holds the values.
    Accept,
    /// Said no.
    Decline,
    /// Dismissed it without choosing.
    Cancel,
}

/// The action as MCP spells it: `accept`, `decline` or `cancel`.
impl fmt::Display for ElicitAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ElicitAction::Accept => "accept",
            ElicitAction::Decline => "decline",
            ElicitAction::Cancel => "cancel",
        })
    }
}

/// The client model's answer, MCP's `CreateMessageResult`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SampleResult {
    /// Who speaks, normally `assistant`.
    pub role: String,
    /// The answer: one MCP content block (or, from newer clients, a list).
    pub content: Value,
    /// The model that answered, e.g. `claude-sonnet-4`.
    pub model: String,
    /// Why it stopped, e.g. `endTurn` or `maxTokens`.
    #[serde(rename = "stopReason", default)]
    pub stop_reason: Option<String>,
}

impl SampleResult {
    /// The answer's text: the content if it is a text block, else the first
    /// text block of a list.
    pub fn text(&self) -> Option<&str> {
        fn text(block: &Value) -> Option<&str> {
            match block["type"].as_str() {
                Some("text") => block["text"].as_str(),
                _ => None,
            }
        }
        match &self.content {
            Value::Array(blocks) => blocks.iter().find_map(text),
            block => text(block),
        }
    }
}

/// One of the client's roots, MCP's `Root`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Root {
    /// A `file://` URI, e.g. `file:///home/ada/project`.
    pub uri: String,
    /// A name for it, if the client gave one.
    #[serde(default)]
    pub name: Option<String>,
}

/// The client's declared capabilities, MCP's `ClientCapabilities`, e.g.
/// `{"sampling": {}, "elicitation": {}, "roots": {"listChanged": true}}`.
pub fn capabilities() -> Value {
    #[cfg(target_arch = "wasm32")]
    let capabilities = crate::bindings::moat::plugin::client::capabilities();
    #[cfg(not(target_arch = "wasm32"))]
    let capabilities = String::from("{}");
    serde_json::from_str(&capabilities).unwrap_or_else(|_| json!({}))
}

/// Whether the client declared `capability` (`sampling`, `elicitation`,
/// `roots`...), so that a question needing it may be asked.
pub fn supports(capability: &str) -> bool {
    capabilities()
        .get(capability)
        .is_some_and(|declared| !declared.is_null())
}

/// Reports progress on the request, e.g. `progress(50.0, Some(100.0),
/// None)`; the client gets it only if it asked for progress. `progress`
/// should grow with each report.
pub fn progress(progress: f64, total: Option<f64>, message: Option<&str>) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::moat::plugin::client::progress(progress, total, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[progress] {progress} of {total:?}: {message:?}");
}

/// Tells the clients subscribed to `uri` that the resource changed.
pub fn resource_updated(uri: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::moat::plugin::client::resource_updated(uri);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[resource updated] {uri}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_carry_mcp_params() {
        let question = Question::sample("q", "Capital of France?", 100);
        assert_eq!(question.method, "sampling/createMessage");
        assert_eq!(
            question.params,
            json!({
                "messages": [{"role": "user", "content": {"type": "text", "text": "Capital of France?"}}],
                "maxTokens": 100
            })
        );
        let question = Question::elicit("n", "Name?", json!({"type": "object"}));
        assert_eq!(
            question.params,
            json!({"message": "Name?", "requestedSchema": {"type": "object"}})
        );
        assert_eq!(Question::roots("r").params, json!({}));
    }

    #[test]
    fn answers_decode() {
        let elicited: ElicitResult =
            decode(&json!({"action": "accept", "content": {"name": "Alice"}})).unwrap();
        assert_eq!(elicited.action, ElicitAction::Accept);
        assert_eq!(elicited.field("name"), Some(&json!("Alice")));
        assert_eq!(elicited.field("age"), None);
        let declined: ElicitResult =
            decode(&json!({"action": "decline", "content": {"name": "Bob"}})).unwrap();
        assert_eq!(declined.field("name"), None);
        assert_eq!(declined.action.to_string(), "decline");

        let sampled: SampleResult = decode(&json!({
            "role": "assistant",
            "content": {"type": "text", "text": "Paris"},
            "model": "test-model",
            "stopReason": "endTurn"
        }))
        .unwrap();
        assert_eq!(sampled.text(), Some("Paris"));
        assert_eq!(sampled.stop_reason.as_deref(), Some("endTurn"));

        let roots: Vec<Root> = decode(&json!({"roots": [{"uri": "file:///r"}]})["roots"]).unwrap();
        assert_eq!(roots[0].uri, "file:///r");

        assert_eq!(
            decode::<ElicitResult>(&json!(12345)).unwrap_err(),
            "unexpected answer from the client: invalid type: integer `12345`, expected struct ElicitResult"
        );
    }

    #[test]
    fn natively_there_is_no_client() {
        assert!(ask(&[Question::roots("r")]).is_err());
        assert_eq!(capabilities(), json!({}));
        assert!(!supports("sampling"));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = ask(&[Question::roots("r"), Question::roots("r")]).unwrap_err();
        assert_eq!(err, "two questions have the key `r`");
    }
}
