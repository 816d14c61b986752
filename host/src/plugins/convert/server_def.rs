//! Turns what a plugin says about its resources, prompts and completions
//! into MCP's types.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::{
    CompletionInfo, GetPromptResult, PromptArgument, PromptMessage, ResourceContents, Role,
};

use super::tool_result;
use crate::runtime::bindings::moat::plugin::server_types as wit;
use crate::runtime::bindings::moat::plugin::types::ResourceBody;

/// A listed resource.
pub fn resource(r: wit::Resource) -> rmcp::model::Resource {
    let mut out = rmcp::model::Resource::new(r.uri, r.name);
    out.title = r.title;
    out.description = r.description;
    out.mime_type = r.mime_type;
    out
}

/// A listed resource template.
pub fn template(t: wit::ResourceTemplate) -> rmcp::model::ResourceTemplate {
    let mut out = rmcp::model::ResourceTemplate::new(t.uri_template, t.name);
    out.title = t.title;
    out.description = t.description;
    out.mime_type = t.mime_type;
    out
}

/// A listed prompt.
pub fn prompt(p: wit::Prompt) -> rmcp::model::Prompt {
    let arguments = p.arguments.into_iter().map(|a| {
        let mut argument = PromptArgument::new(a.name).with_required(a.required);
        argument.title = a.title;
        argument.description = a.description;
        argument
    });
    let arguments: Vec<_> = arguments.collect();
    let mut out = rmcp::model::Prompt::new(
        p.name,
        p.description,
        (!arguments.is_empty()).then_some(arguments),
    );
    out.title = p.title;
    out
}

/// A filled-in prompt.
pub fn prompt_result(result: wit::PromptResult) -> GetPromptResult {
    let messages = result.messages.into_iter().map(|message| {
        let role = match message.role {
            wit::Role::User => Role::User,
            wit::Role::Assistant => Role::Assistant,
        };
        PromptMessage::new(role, tool_result::content(message.content))
    });
    let mut out = GetPromptResult::new(messages.collect());
    out.description = result.description;
    out
}

/// The contents of a resource read.
pub fn contents(c: wit::ResourceContents) -> ResourceContents {
    let out = match c.body {
        ResourceBody::Text(text) => ResourceContents::text(text, c.uri),
        ResourceBody::Blob(bytes) => ResourceContents::blob(STANDARD.encode(bytes), c.uri),
    };
    match c.mime_type {
        Some(mime) => out.with_mime_type(mime),
        None => out,
    }
}

/// The bytes a resource's contents carry, for the output limit.
pub fn contents_size(c: &wit::ResourceContents) -> usize {
    match &c.body {
        ResourceBody::Text(text) => text.len(),
        ResourceBody::Blob(bytes) => bytes.len(),
    }
}

/// Suggested values; more than MCP's 100 is the plugin's mistake.
pub fn completion(c: wit::Completion) -> Result<CompletionInfo, String> {
    let mut out = CompletionInfo::new(c.values)?;
    out.total = c.total;
    out.has_more = Some(c.has_more);
    Ok(out)
}
