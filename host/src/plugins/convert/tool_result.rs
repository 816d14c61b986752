//! Turns a plugin's tool result into an MCP `CallToolResult`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rmcp::model::{CallToolResult, ContentBlock, Resource, ResourceContents};

use crate::runtime::bindings::moat::plugin::types::{self, ResourceBody};

/// Converts `result`; the error names what the plugin got wrong.
///
/// A result with structured content and no content items gets one text
/// item holding the same JSON, as MCP asks of a tool with structured
/// results (for clients that read only `content`), so an author need not
/// write the result twice.
pub fn to_mcp(result: types::ToolResult) -> Result<CallToolResult, String> {
    let mut content: Vec<ContentBlock> = result.content.into_iter().map(content).collect();
    let structured = match result.structured {
        Some(json) => {
            let value = serde_json::from_str(&json)
                .map_err(|e| format!("its structured content is not JSON: {e}"))?;
            if content.is_empty() {
                content.push(ContentBlock::text(json));
            }
            Some(value)
        }
        None => None,
    };
    let mut out = if result.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    out.structured_content = structured;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn result(content: Vec<types::Content>, structured: Option<&str>) -> types::ToolResult {
        types::ToolResult {
            content,
            structured: structured.map(str::to_owned),
            is_error: false,
        }
    }

    #[test]
    fn structured_content_alone_is_repeated_as_text() {
        let out = to_mcp(result(vec![], Some(r#"{"result": 425}"#))).unwrap();
        assert_eq!(
            out.structured_content,
            Some(serde_json::json!({"result": 425}))
        );
        assert_eq!(out.content[0].as_text().unwrap().text, r#"{"result": 425}"#);
        assert_eq!(out.content.len(), 1);
    }

    #[test]
    fn content_the_plugin_gave_is_kept_as_it_is() {
        let said = vec![types::Content::Text("425".into())];
        let out = to_mcp(result(said, Some(r#"{"result": 425}"#))).unwrap();
        assert_eq!(out.content.len(), 1);
        assert_eq!(out.content[0].as_text().unwrap().text, "425");
        assert!(to_mcp(result(vec![], None)).unwrap().content.is_empty());
    }

    #[test]
    fn structured_content_that_is_not_json_is_the_plugins_error() {
        let err = to_mcp(result(vec![], Some("{"))).unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
    }
}
