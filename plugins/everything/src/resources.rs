//! Resources at fixed URIs (text and binary), a resource template, and a
//! tool that tells subscribers a resource changed.
//!
//! The lists are read once, when the plugin loads; each `resources/read`
//! runs its read function in a fresh instance. A URI that neither a resource
//! nor the template serves is "not found" (JSON-RPC `-32602`), which the SDK
//! answers without the plugin's help.

use moat_plugin_sdk::serde_json::json;
use moat_plugin_sdk::{NoArguments, ReadError, Resource, Server, Template, Tool, client};
use serde::Deserialize;

use crate::RED_PIXEL_PNG;

pub fn add(server: Server) -> Server {
    server
        .resource(
            Resource::new("test://static-text", "static-text", || {
                Ok("This is the content of the static text resource.")
            })
            .title("Static text")
            .description("A static text resource for testing")
            .mime_type("text/plain"),
        )
        .resource(
            Resource::new("test://static-binary", "static-binary", || {
                Ok(RED_PIXEL_PNG)
            })
            .title("Static binary")
            .description("A static binary resource (a 1×1 PNG) for testing")
            .mime_type("image/png"),
        )
        .resource(
            Resource::new("test://watched-resource", "watched-resource", || {
                Ok("This resource can be subscribed to.")
            })
            .title("Watched resource")
            .description("A resource clients may subscribe to")
            .mime_type("text/plain"),
        )
        .template(
            Template::new("test://template/{id}/data", "template-data", template_data)
                .title("Data by ID")
                .description("JSON data for any ID")
                .mime_type("application/json"),
        )
        .tool(Tool::new(
            "touch_watched_resource",
            "Tells clients subscribed to test://watched-resource that it changed",
            touch,
        ))
}

/// A plugin says a resource changed with `client::resource_updated`; the
/// host tells every session subscribed to that URI.
fn touch(_: NoArguments) -> Result<String, String> {
    client::resource_updated("test://watched-resource");
    Ok("test://watched-resource changed".into())
}

/// The variables of `test://template/{id}/data`.
#[derive(Deserialize)]
struct Id {
    id: String,
}

fn template_data(Id { id }: Id) -> Result<String, ReadError> {
    let data = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
    Ok(data.to_string())
}

#[cfg(test)]
mod tests {
    use moat_plugin_sdk::{ResourceBody, ResourceContents};

    use super::*;

    fn read(uri: &str) -> Result<Vec<ResourceContents>, ReadError> {
        add(Server::new()).read_resource(uri)
    }

    #[test]
    fn static_resources_read_with_uri_and_mime_type() {
        assert_eq!(
            read("test://static-text"),
            Ok(vec![ResourceContents::text(
                "test://static-text",
                "text/plain",
                "This is the content of the static text resource."
            )])
        );
        let binary = read("test://static-binary").unwrap();
        assert_eq!(binary[0].mime_type.as_deref(), Some("image/png"));
        assert_eq!(binary[0].body, ResourceBody::Blob(RED_PIXEL_PNG.to_vec()));
    }

    #[test]
    fn the_template_serves_any_id() {
        let contents = read("test://template/123/data").unwrap();
        assert_eq!(contents[0].uri, "test://template/123/data");
        assert_eq!(
            contents[0].body,
            ResourceBody::Text(
                r#"{"data":"Data for ID: 123","id":"123","templateTest":true}"#.into()
            )
        );
    }

    #[test]
    fn other_uris_are_not_found() {
        assert_eq!(
            read("test://nonexistent-resource-for-conformance-testing"),
            Err(ReadError::NotFound)
        );
        assert_eq!(read("test://template/1/2/data"), Err(ReadError::NotFound));
    }
}
