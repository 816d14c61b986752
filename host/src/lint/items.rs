//! A plugin's served definitions (rmcp types) as the lint's [`Item`]s:
//! every text a client shows the model, with its place.

use moat_lint::{Item, Kind};
use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};
use serde_json::Value;

/// A plugin's definitions, as served (after the manifest's descriptions
/// and prefix).
#[derive(Clone, Copy)]
pub struct Definitions<'a> {
    /// Its tools.
    pub tools: &'a [Tool],
    /// Its resources.
    pub resources: &'a [Resource],
    /// Its resource templates.
    pub templates: &'a [ResourceTemplate],
    /// Its prompts.
    pub prompts: &'a [Prompt],
}

/// Every item of `definitions`.
pub fn items(definitions: Definitions<'_>) -> Vec<Item> {
    let tools = definitions.tools.iter().map(tool);
    let resources = definitions.resources.iter().map(resource);
    let templates = definitions.templates.iter().map(template);
    let prompts = definitions.prompts.iter().map(prompt);
    tools
        .chain(resources)
        .chain(templates)
        .chain(prompts)
        .collect()
}

fn tool(tool: &Tool) -> Item {
    let mut item = Item::new(Kind::Tool, tool.name.as_ref())
        .name_text("name", &tool.name)
        .prose("title", tool.title.as_deref())
        .prose("description", tool.description.as_deref())
        .schema("inputSchema", &Value::Object((*tool.input_schema).clone()));
    if let Some(output) = &tool.output_schema {
        item = item.schema("outputSchema", &Value::Object((**output).clone()));
    }
    let annotations = tool.annotations.as_ref();
    item.prose(
        "annotations/title",
        annotations.and_then(|a| a.title.as_deref()),
    )
}

fn resource(resource: &Resource) -> Item {
    Item::new(Kind::Resource, resource.uri.as_str())
        .name_text("uri", &resource.uri)
        .prose("name", Some(&resource.name))
        .prose("title", resource.title.as_deref())
        .prose("description", resource.description.as_deref())
        .name_text(
            "mimeType",
            resource.mime_type.as_deref().unwrap_or_default(),
        )
}

fn template(template: &ResourceTemplate) -> Item {
    Item::new(Kind::Template, template.uri_template.as_str())
        .name_text("uriTemplate", &template.uri_template)
        .prose("name", Some(&template.name))
        .prose("title", template.title.as_deref())
        .prose("description", template.description.as_deref())
        .name_text(
            "mimeType",
            template.mime_type.as_deref().unwrap_or_default(),
        )
}

fn prompt(prompt: &Prompt) -> Item {
    let mut item = Item::new(Kind::Prompt, prompt.name.as_str())
        .name_text("name", &prompt.name)
        .prose("title", prompt.title.as_deref())
        .prose("description", prompt.description.as_deref());
    for (i, argument) in prompt.arguments.iter().flatten().enumerate() {
        let place = format!("arguments/{i}");
        item = item
            .param(&place, &argument.name, argument.description.as_deref())
            .prose(&format!("{place}/title"), argument.title.as_deref());
    }
    item
}
