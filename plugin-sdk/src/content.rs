//! Shorthands for the WIT records that carry MCP content: tool results,
//! prompt messages and resource contents.

use crate::{
    Blob, Content, EmbeddedResource, PromptMessage, ResourceBody, ResourceContents, ResourceLink,
    Role,
};

impl Content {
    /// A text item, MCP `{"type": "text", "text": ...}`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// An image, e.g. `Content::image(png_bytes, "image/png")`. The host
    /// sends it base64-encoded, as MCP `{"type": "image", "data", "mimeType"}`.
    pub fn image(data: impl Into<Vec<u8>>, mime_type: impl Into<String>) -> Self {
        Self::Image(Blob {
            data: data.into(),
            mime_type: mime_type.into(),
        })
    }

    /// Audio, e.g. `Content::audio(wav_bytes, "audio/wav")`, sent
    /// base64-encoded as MCP `{"type": "audio", "data", "mimeType"}`.
    pub fn audio(data: impl Into<Vec<u8>>, mime_type: impl Into<String>) -> Self {
        Self::Audio(Blob {
            data: data.into(),
            mime_type: mime_type.into(),
        })
    }

    /// A link to a resource the client may read, MCP `{"type":
    /// "resource_link", "uri", "name"}`. Build a [`ResourceLink`] by hand to
    /// add a title, description or MIME type.
    pub fn link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self::ResourceLink(ResourceLink {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
        })
    }

    /// A resource whose contents travel inside the result, MCP `{"type":
    /// "resource", "resource": {"uri", "mimeType", "text" or "blob"}}`:
    ///
    /// ```
    /// use moat_plugin_sdk::{Content, ResourceContents};
    ///
    /// let note = Content::embedded(ResourceContents::text("memo://today", "text/plain", "Buy milk"));
    /// ```
    pub fn embedded(contents: ResourceContents) -> Self {
        Self::EmbeddedResource(EmbeddedResource {
            uri: contents.uri,
            mime_type: contents.mime_type,
            body: contents.body,
        })
    }
}

/// Plain text is a text item.
impl From<String> for Content {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

/// Plain text is a text item.
impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Self::Text(text.into())
    }
}

impl ResourceContents {
    /// The text contents of the resource at `uri`, e.g.
    /// `ResourceContents::text("test://static-text", "text/plain", "Hello")`.
    pub fn text(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            body: ResourceBody::Text(text.into()),
        }
    }

    /// The binary contents of the resource at `uri`, sent base64-encoded.
    pub fn blob(
        uri: impl Into<String>,
        mime_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            uri: uri.into(),
            mime_type: Some(mime_type.into()),
            body: ResourceBody::Blob(data.into()),
        }
    }
}

/// Text is a text body.
impl From<String> for ResourceBody {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

/// Text is a text body.
impl From<&str> for ResourceBody {
    fn from(text: &str) -> Self {
        Self::Text(text.into())
    }
}

/// Bytes are a binary body.
impl From<Vec<u8>> for ResourceBody {
    fn from(data: Vec<u8>) -> Self {
        Self::Blob(data)
    }
}

/// Bytes are a binary body.
impl From<&[u8]> for ResourceBody {
    fn from(data: &[u8]) -> Self {
        Self::Blob(data.to_vec())
    }
}

impl PromptMessage {
    /// A message from the user, e.g. `PromptMessage::user("Summarise this.")`
    /// or `PromptMessage::user(Content::image(png, "image/png"))`.
    pub fn user(content: impl Into<Content>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// A message from the assistant, e.g. to start its answer for it.
    pub fn assistant(content: impl Into<Content>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_keeps_uri_mime_and_body() {
        let content = Content::embedded(ResourceContents::blob("a://b", "image/png", [1u8, 2]));
        assert_eq!(
            content,
            Content::EmbeddedResource(EmbeddedResource {
                uri: "a://b".into(),
                mime_type: Some("image/png".into()),
                body: ResourceBody::Blob(vec![1, 2]),
            })
        );
    }

    #[test]
    fn prompt_messages_take_text() {
        assert_eq!(
            PromptMessage::assistant("hi"),
            PromptMessage {
                role: Role::Assistant,
                content: Content::Text("hi".into())
            }
        );
    }
}
