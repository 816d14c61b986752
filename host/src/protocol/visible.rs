//! The lists as one caller sees them: only what the policy lets it use.
//!
//! Filtered before paging, so pages and cursors are those of the caller's
//! own list: a cursor's fingerprint is of the items the caller sees, and
//! nothing in a page or cursor tells how many are hidden. Without a policy
//! (or when the caller sees everything) the list built at load is served
//! as it is, at no cost.

use std::borrow::Cow;
use std::sync::Arc;

use moat_policy::Target;
use rmcp::model::{Prompt, Resource, ResourceTemplate, Tool};
use serde::Serialize;

use crate::access::Gate;
use crate::plugins::LoadedPlugin;
use crate::plugins::listing::Listing;
use crate::plugins::registry::Registry;

/// The tools the caller may call.
pub fn tools<'r>(registry: &'r Registry, gate: &Gate) -> Cow<'r, Listing<Tool>> {
    filter(registry.tool_listing(), gate, |tool| {
        registry.route(&tool.name).is_some_and(|plugin| {
            gate.allows(&Target::Tool {
                name: &tool.name,
                plugin: plugin.name(),
            })
        })
    })
}

/// The resources the caller may read (from some plugin that lists it).
pub fn resources<'r>(registry: &'r Registry, gate: &Gate) -> Cow<'r, Listing<Resource>> {
    filter(registry.resource_listing(), gate, |resource| {
        readable(
            &registry.resource_routes(&resource.uri),
            gate,
            &resource.uri,
        )
    })
}

/// Whether one of `routes`, the plugins serving `uri`, lets the caller
/// read it.
pub fn readable(routes: &[&Arc<LoadedPlugin>], gate: &Gate, uri: &str) -> bool {
    routes.iter().any(|plugin| {
        gate.allows(&Target::Resource {
            uri,
            plugin: plugin.name(),
        })
    })
}

/// The resource templates the caller may read, decided on the template.
pub fn templates<'r>(registry: &'r Registry, gate: &Gate) -> Cow<'r, Listing<ResourceTemplate>> {
    filter(registry.template_listing(), gate, |template| {
        registry
            .template_route(&template.uri_template)
            .is_some_and(|plugin| {
                gate.allows(&Target::Resource {
                    uri: &template.uri_template,
                    plugin: plugin.name(),
                })
            })
    })
}

/// The prompts the caller may get.
pub fn prompts<'r>(registry: &'r Registry, gate: &Gate) -> Cow<'r, Listing<Prompt>> {
    filter(registry.prompt_listing(), gate, |prompt| {
        registry.prompt_route(&prompt.name).is_some_and(|plugin| {
            gate.allows(&Target::Prompt {
                name: &prompt.name,
                plugin: plugin.name(),
            })
        })
    })
}

fn filter<'r, T: Serialize + Clone>(
    listing: &'r Listing<T>,
    gate: &Gate,
    allowed: impl Fn(&T) -> bool,
) -> Cow<'r, Listing<T>> {
    if gate.open() {
        return Cow::Borrowed(listing);
    }
    let items: Vec<T> = listing
        .items()
        .iter()
        .filter(|item| allowed(item))
        .cloned()
        .collect();
    if items.len() == listing.items().len() {
        Cow::Borrowed(listing)
    } else {
        Cow::Owned(Listing::new(items))
    }
}
