//! What the lock records of one plugin: its component's SHA-256, where it
//! was pulled from (if it was), and the pins of everything it serves.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pin::Pin;
use crate::plugins::plugin::LoadedPlugin;

/// Where a pulled plugin came from and what verified it, as `moat pull`
/// recorded it. A plugin copied in by hand has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The reference as the operator gave it: `oci://REGISTRY/REPO:TAG`,
    /// `oci://REGISTRY/REPO@sha256:…` or `https://…#sha256=…`.
    pub reference: String,
    /// What the reference resolved to: the OCI manifest's digest, or a
    /// URL's pinned SHA-256, as `sha256:HEX`.
    pub digest: String,
    /// The name, in the trust policy, of the key whose signature verified
    /// the artifact; `None` if it was pulled unsigned (`--allow-unsigned`)
    /// or by a URL whose digest the operator pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// That key's fingerprint, `sha256:HEX` of its SubjectPublicKeyInfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// One plugin's table in the lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Entry {
    /// `sha256:HEX` of the component's bytes.
    pub(super) wasm: String,
    /// Where it was pulled from, for a pulled plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) source: Option<Source>,
    /// Served item key (a tool's name, `prompt:NAME`, `resource:URI`,
    /// `template:URI`) → its pin.
    #[serde(default)]
    pub(super) definitions: BTreeMap<String, Pin>,
}

impl Entry {
    /// The entry that approves `plugin` as it is now.
    pub(super) fn of(plugin: &LoadedPlugin, source: Option<Source>) -> Self {
        Self {
            wasm: plugin.digest().to_string(),
            source,
            definitions: pins(plugin)
                .into_iter()
                .map(|(key, pin, _)| (key, pin))
                .collect(),
        }
    }
}

/// Everything a model reads that `plugin` serves, pinned: its tools (keyed
/// by name), prompts (`prompt:NAME`), resources (`resource:URI`) and
/// templates (`template:URI`), each with its description.
pub(super) fn pins(plugin: &LoadedPlugin) -> Vec<(String, Pin, String)> {
    let text = |description: Option<&str>| description.unwrap_or("").to_owned();
    let tools = plugin.tools().iter().map(|tool| {
        let description = text(tool.description.as_deref());
        (tool.name.to_string(), Pin::of(tool), description)
    });
    let prompts = plugin.prompts().iter().map(|prompt| {
        let arguments = serde_json::to_value(&prompt.arguments).expect("arguments are JSON");
        let pin = Pin::of_item(prompt, &prompt.title, &prompt.description, arguments);
        (
            format!("prompt:{}", prompt.name),
            pin,
            text(prompt.description.as_deref()),
        )
    });
    let resources = plugin.resources().iter().map(|resource| {
        let pin = Pin::of_item(
            resource,
            &resource.title,
            &resource.description,
            Value::Null,
        );
        (
            format!("resource:{}", resource.uri),
            pin,
            text(resource.description.as_deref()),
        )
    });
    let templates = plugin.templates().iter().map(|template| {
        let pin = Pin::of_item(
            template,
            &template.title,
            &template.description,
            Value::Null,
        );
        (
            format!("template:{}", template.uri_template),
            pin,
            text(template.description.as_deref()),
        )
    });
    tools
        .chain(prompts)
        .chain(resources)
        .chain(templates)
        .collect()
}
