//! Prompts: plain text, with arguments, with an embedded resource, with an
//! image, and one that asks the client a question while it is filled in.
//!
//! Arguments arrive as strings and decode into a struct, as a tool's do;
//! each is declared with `.argument(name, description, required)`, and a
//! missing required one is refused before the function runs.

use moat_plugin_sdk::serde_json::json;
use moat_plugin_sdk::{
    Content, NoArguments, Prompt, PromptMessage, ResourceContents, Server, client,
};
use serde::Deserialize;

use crate::RED_PIXEL_PNG;

pub fn add(server: Server) -> Server {
    server
        .prompt(Prompt::new(
            "test_simple_prompt",
            "A simple prompt without arguments",
            simple,
        ))
        .prompt(
            Prompt::new(
                "test_prompt_with_arguments",
                "A prompt with two required arguments",
                with_arguments,
            )
            .argument("arg1", "First test argument", true)
            .argument("arg2", "Second test argument", true),
        )
        .prompt(
            Prompt::new(
                "test_prompt_with_embedded_resource",
                "A prompt that embeds a resource",
                with_embedded_resource,
            )
            .argument("resourceUri", "URI of the resource to embed", true),
        )
        .prompt(Prompt::new(
            "test_prompt_with_image",
            "A prompt with an image",
            with_image,
        ))
        .prompt(Prompt::new(
            "test_input_required_result_prompt",
            "A prompt that asks the user for context (key `user_context`) first",
            with_input,
        ))
}

fn simple(_: NoArguments) -> Result<Vec<PromptMessage>, String> {
    Ok(vec![PromptMessage::user(
        "This is a simple prompt for testing.",
    )])
}

#[derive(Deserialize)]
struct TwoArguments {
    arg1: String,
    arg2: String,
}

fn with_arguments(TwoArguments { arg1, arg2 }: TwoArguments) -> Result<Vec<PromptMessage>, String> {
    Ok(vec![PromptMessage::user(format!(
        "Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"
    ))])
}

#[derive(Deserialize)]
struct ResourceUri {
    #[serde(rename = "resourceUri")]
    resource_uri: String,
}

fn with_embedded_resource(
    ResourceUri { resource_uri }: ResourceUri,
) -> Result<Vec<PromptMessage>, String> {
    Ok(vec![
        PromptMessage::user(Content::embedded(ResourceContents::text(
            resource_uri,
            "text/plain",
            "Embedded resource content for testing.",
        ))),
        PromptMessage::user("Please process the embedded resource above."),
    ])
}

fn with_image(_: NoArguments) -> Result<Vec<PromptMessage>, String> {
    Ok(vec![
        PromptMessage::user(Content::image(RED_PIXEL_PNG, "image/png")),
        PromptMessage::user("Please analyze the image above."),
    ])
}

/// Asks the user before filling in the prompt; on a stateless client the
/// host runs `prompts/get` again once the answer is in, as for a tool.
fn with_input(_: NoArguments) -> Result<Vec<PromptMessage>, String> {
    let schema = json!({
        "type": "object",
        "properties": { "context": { "type": "string", "description": "What the prompt is about" } },
        "required": ["context"]
    });
    let answer = client::elicit(
        "user_context",
        "What context should the prompt use?",
        schema,
    )?;
    let context = answer.field("context").and_then(|c| c.as_str());
    Ok(vec![PromptMessage::user(format!(
        "Answer with this context in mind: {}",
        context.unwrap_or("(none given)")
    ))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_fill_in_the_text() {
        let result = add(Server::new())
            .get_prompt(
                "test_prompt_with_arguments",
                r#"{"arg1": "testValue1", "arg2": "testValue2"}"#,
            )
            .unwrap();
        assert_eq!(
            result.messages,
            [PromptMessage::user(
                "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
            )]
        );
    }

    #[test]
    fn required_arguments_are_declared_and_checked() {
        let server = add(Server::new());
        let prompts = server.list_prompts();
        let embedded = prompts
            .iter()
            .find(|p| p.name == "test_prompt_with_embedded_resource")
            .unwrap();
        assert_eq!(embedded.arguments[0].name, "resourceUri");
        assert!(embedded.arguments[0].required);
        assert_eq!(
            server
                .get_prompt("test_prompt_with_embedded_resource", "{}")
                .unwrap_err(),
            "missing required argument `resourceUri`"
        );
    }
}
