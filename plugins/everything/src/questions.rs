//! Tools that ask the client: its model (sampling), its user (elicitation),
//! its roots, several questions at once, and questions in several rounds.
//!
//! Every question has a key the plugin chooses (`user_name`, `confirm`...).
//! A client with a session is asked there and then; a stateless client
//! (MCP 2026-07-28) gets "input required", answers, and the host runs the
//! tool again from the start with the answers so far. So each tool asks the
//! same questions, with the same keys, in the same order, every run: what it
//! asks depends only on its arguments, on earlier answers and on the
//! client's declared capabilities, never on the clock or chance.
//!
//! Asking for something the client did not declare fails the whole request
//! (`test_missing_capability` relies on it); a tool whose questions are
//! optional checks [`client::supports`] first.

use moat_plugin_sdk::client::{self, ElicitResult, Question, Root, SampleResult};
use moat_plugin_sdk::serde_json::{Value, json};
use moat_plugin_sdk::{Content, NoArguments, Server, Tool};
use schemars::JsonSchema;
use serde::Deserialize;

pub fn add(server: Server) -> Server {
    server
        .tool(Tool::new(
            "test_sampling",
            "Tests server-initiated sampling (LLM completion request)",
            sampling,
        ))
        .tool(Tool::new(
            "test_elicitation",
            "Tests server-initiated elicitation (user input request)",
            elicitation,
        ))
        .tool(Tool::new(
            "test_elicitation_sep1034_defaults",
            "Tests elicitation with default values for every primitive type (SEP-1034)",
            elicitation_defaults,
        ))
        .tool(Tool::new(
            "test_elicitation_sep1330_enums",
            "Tests elicitation with every kind of enum schema (SEP-1330)",
            elicitation_enums,
        ))
        .tool(Tool::new(
            "test_missing_capability",
            "Asks the client's model a question: needs the client's sampling capability",
            missing_capability,
        ))
        .tool(Tool::new(
            "test_streaming_elicitation",
            "Asks the user to confirm, without a server-to-client request on a stateless client",
            streaming_elicitation,
        ))
        .tool(Tool::new(
            "test_input_required_result_elicitation",
            "Asks the user's name (key `user_name`) and greets them",
            input_elicitation,
        ))
        .tool(Tool::new(
            "test_input_required_result_sampling",
            "Asks the client's model the capital of France (key `capital_question`)",
            input_sampling,
        ))
        .tool(Tool::new(
            "test_input_required_result_list_roots",
            "Asks for the client's roots (key `client_roots`)",
            input_list_roots,
        ))
        .tool(Tool::new(
            "test_input_required_result_request_state",
            "Asks the user to confirm (key `confirm`); answers carry over in requestState",
            input_request_state,
        ))
        .tool(Tool::new(
            "test_input_required_result_multiple_inputs",
            "Asks three questions at once: the user's name, the model, the roots",
            input_multiple,
        ))
        .tool(Tool::new(
            "test_input_required_result_multi_round",
            "Asks the user's name, then, in a second round, their favourite colour",
            input_multi_round,
        ))
        .tool(Tool::new(
            "test_input_required_result_tampered_state",
            "Asks the user to confirm (key `confirm`); the host refuses an altered requestState",
            input_tampered_state,
        ))
        .tool(Tool::new(
            "test_input_required_result_capabilities",
            "Asks only what the client declared it can answer",
            input_capabilities,
        ))
}

#[derive(Deserialize, JsonSchema)]
struct ModelPrompt {
    /// The prompt to send to the client's model.
    prompt: String,
}

fn sampling(ModelPrompt { prompt }: ModelPrompt) -> Result<Content, String> {
    let answer = client::sample("llm_response", prompt, 100)?;
    Ok(Content::text(format!("LLM response: {}", text(&answer))))
}

#[derive(Deserialize, JsonSchema)]
struct Message {
    /// The message to show the user.
    message: String,
}

fn elicitation(Message { message }: Message) -> Result<Content, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    });
    let answer = client::elicit("user_response", message, schema)?;
    Ok(Content::text(format!(
        "User response: {}",
        summary(&answer)
    )))
}

fn elicitation_defaults(_: NoArguments) -> Result<Content, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "default": "John Doe" },
            "age": { "type": "integer", "default": 30 },
            "score": { "type": "number", "default": 95.5 },
            "status": {
                "type": "string",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": { "type": "boolean", "default": true }
        }
    });
    let message = "Please review your profile; every field has a default";
    let answer = client::elicit("profile", message, schema)?;
    Ok(Content::text(format!(
        "Elicitation completed: {}",
        summary(&answer)
    )))
}

fn elicitation_enums(_: NoArguments) -> Result<Content, String> {
    let schema = json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "oneOf": [
                    { "const": "value1", "title": "First Option" },
                    { "const": "value2", "title": "Second Option" },
                    { "const": "value3", "title": "Third Option" }
                ]
            },
            "legacyEnum": {
                "type": "string",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
            },
            "titledMulti": {
                "type": "array",
                "items": {
                    "anyOf": [
                        { "const": "value1", "title": "First Choice" },
                        { "const": "value2", "title": "Second Choice" },
                        { "const": "value3", "title": "Third Choice" }
                    ]
                }
            }
        }
    });
    let answer = client::elicit("choices", "Please make your choices", schema)?;
    Ok(Content::text(format!(
        "Elicitation completed: {}",
        summary(&answer)
    )))
}

/// Asks for sampling unconditionally: a client without the capability gets
/// an error naming it, from the host, and the tool never sees an answer.
fn missing_capability(_: NoArguments) -> Result<Content, String> {
    let answer = client::sample("greeting", "Say hello in one word.", 20)?;
    Ok(Content::text(format!("The model said: {}", text(&answer))))
}

fn streaming_elicitation(_: NoArguments) -> Result<Content, String> {
    let answer = client::elicit("confirm", "Shall I go on?", confirm_schema())?;
    Ok(Content::text(format!("Answered: {}", summary(&answer))))
}

fn input_elicitation(_: NoArguments) -> Result<Content, String> {
    let answer = client::elicit("user_name", "What is your name?", name_schema())?;
    Ok(Content::text(match string(&answer, "name") {
        Some(name) => format!("Hello, {name}!"),
        None => format!("No name given ({})", answer.action),
    }))
}

fn input_sampling(_: NoArguments) -> Result<Content, String> {
    let answer = client::sample("capital_question", "What is the capital of France?", 100)?;
    Ok(Content::text(format!("The model says: {}", text(&answer))))
}

fn input_list_roots(_: NoArguments) -> Result<Content, String> {
    let roots = client::roots("client_roots")?;
    Ok(Content::text(format!("Client roots: {}", uris(&roots))))
}

fn input_request_state(_: NoArguments) -> Result<Content, String> {
    let answer = client::elicit("confirm", "Please confirm to continue", confirm_schema())?;
    let confirmed = answer.field("ok") == Some(&Value::Bool(true));
    Ok(Content::text(format!("state-ok: confirmed={confirmed}")))
}

/// Three questions in one `ask`: a stateless client gets all three in one
/// "input required" result and answers them together.
fn input_multiple(_: NoArguments) -> Result<Content, String> {
    let answers = client::ask(&[
        Question::elicit("user_name", "What is your name?", name_schema()),
        Question::sample("greeting", "Write a one-line greeting.", 50),
        Question::roots("client_roots"),
    ])?;
    let name: ElicitResult = client::decode(&answers[0])?;
    let greeting: SampleResult = client::decode(&answers[1])?;
    let roots: Vec<Root> = client::decode(&answers[2]["roots"])?;
    Ok(Content::text(format!(
        "Name: {}; greeting: {}; roots: {}",
        string(&name, "name").unwrap_or("(none)"),
        text(&greeting),
        uris(&roots)
    )))
}

/// Two rounds: the second question depends on the first answer, which is
/// fine, because on the retry the first answer is the same.
fn input_multi_round(_: NoArguments) -> Result<Content, String> {
    let first = client::elicit("user_name", "What is your name?", name_schema())?;
    let name = string(&first, "name").unwrap_or("stranger").to_owned();
    let schema = json!({
        "type": "object",
        "properties": { "color": { "type": "string" } },
        "required": ["color"]
    });
    let question = format!("What is your favourite colour, {name}?");
    let second = client::elicit("favorite_color", question, schema)?;
    let color = string(&second, "color").unwrap_or("no colour");
    Ok(Content::text(format!("{name} likes {color}")))
}

fn input_tampered_state(_: NoArguments) -> Result<Content, String> {
    let answer = client::elicit("confirm", "Please confirm to continue", confirm_schema())?;
    Ok(Content::text(format!("Confirmed: {}", summary(&answer))))
}

/// Asks only for what the client declared; the capabilities are part of
/// every (re)try of the request, so the questions stay the same each run.
fn input_capabilities(_: NoArguments) -> Result<Content, String> {
    let mut questions = Vec::new();
    if client::supports("elicitation") {
        questions.push(Question::elicit(
            "user_name",
            "What is your name?",
            name_schema(),
        ));
    }
    if client::supports("sampling") {
        questions.push(Question::sample(
            "capital_question",
            "What is the capital of France?",
            100,
        ));
    }
    if client::supports("roots") {
        questions.push(Question::roots("client_roots"));
    }
    if questions.is_empty() {
        return Ok(Content::text("The client declared nothing to ask it with"));
    }
    client::ask(&questions)?;
    let keys: Vec<_> = questions.iter().map(Question::key).collect();
    Ok(Content::text(format!("Asked: {}", keys.join(", "))))
}

/// `{name: string}`, required.
fn name_schema() -> Value {
    json!({
        "type": "object",
        "properties": { "name": { "type": "string" } },
        "required": ["name"]
    })
}

/// `{ok: boolean}`, required.
fn confirm_schema() -> Value {
    json!({
        "type": "object",
        "properties": { "ok": { "type": "boolean", "description": "Go on?" } },
        "required": ["ok"]
    })
}

/// `action=accept, content={...}`.
fn summary(answer: &ElicitResult) -> String {
    let content = answer.content.clone().map(Value::Object);
    format!(
        "action={}, content={}",
        answer.action,
        content.unwrap_or(Value::Null)
    )
}

/// The string the user gave for `field`, if they accepted.
fn string<'a>(answer: &'a ElicitResult, field: &str) -> Option<&'a str> {
    answer.field(field).and_then(Value::as_str)
}

/// The model's text, or a note that it answered with something else.
fn text(answer: &SampleResult) -> &str {
    answer.text().unwrap_or("(no text)")
}

fn uris(roots: &[Root]) -> String {
    let uris: Vec<_> = roots.iter().map(|root| root.uri.as_str()).collect();
    uris.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natively there is no client: every question fails, as a tool error.
    #[test]
    fn without_a_client_questions_are_tool_errors() {
        let server = add(Server::new());
        let result = server.call_tool("test_input_required_result_elicitation", "{}");
        assert!(result.is_error);
        let result = server.call_tool("test_sampling", r#"{"prompt": "Hi"}"#);
        assert!(result.is_error);
    }

    #[test]
    fn capabilities_ask_nothing_of_a_client_that_declared_nothing() {
        let result = add(Server::new()).call_tool("test_input_required_result_capabilities", "{}");
        assert!(!result.is_error);
    }

    #[test]
    fn summary_shows_action_and_content() {
        let answer: ElicitResult =
            client::decode(&json!({"action": "accept", "content": {"name": "Alice"}})).unwrap();
        assert_eq!(
            summary(&answer),
            r#"action=accept, content={"name":"Alice"}"#
        );
    }
}
