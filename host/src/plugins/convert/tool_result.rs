//! Turns a plugin's tool result into an MCP `CallToolResult`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::{CallToolResult, ContentBlock, Resource, ResourceContents};

use crate::runtime::bindings::moat::plugin::types::{self, ResourceBody};

/// Converts `result`; the error names what the plugin got wrong.
pub fn to_mcp(result: types::ToolResult) -> Result<CallToolResult, String> {
    let content = result.content.into_iter().map(content).collect();
    let mut out = if result.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    if let Some(json) = result.structured {
        let value = serde_json::from_str(&json)
            .map_err(|e| format!("its structured content is not JSON: {e}"))?;
        out.structured_content = Some(value);
    }
    Ok(out)
}

/// A tool error carrying one text message, as the host reports failures.
pub fn error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// One content item as MCP's.
pub(crate) fn content(item: types::Content) -> ContentBlock {
    match item {
        types::Content::Text(text) => ContentBlock::text(text),
        types::Content::Image(blob) => {
            ContentBlock::image(STANDARD.encode(blob.data), blob.mime_type)
        }
        types::Content::Audio(blob) => {
            ContentBlock::audio(STANDARD.encode(blob.data), blob.mime_type)
        }
        types::Content::ResourceLink(link) => {
            let mut resource = Resource::new(link.uri, link.name);
            if let Some(title) = link.title {
                resource = resource.with_title(title);
            }
            if let Some(description) = link.description {
                resource = resource.with_description(description);
            }
            if let Some(mime) = link.mime_type {
                resource = resource.with_mime_type(mime);
            }
            ContentBlock::resource_link(resource)
        }
        types::Content::EmbeddedResource(embedded) => {
            let contents = match embedded.body {
                ResourceBody::Text(text) => ResourceContents::text(text, embedded.uri),
                ResourceBody::Blob(bytes) => {
                    ResourceContents::blob(STANDARD.encode(bytes), embedded.uri)
                }
            };
            let contents = match embedded.mime_type {
                Some(mime) => contents.with_mime_type(mime),
                None => contents,
            };
            ContentBlock::resource(contents)
        }
    }
}
