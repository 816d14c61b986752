//! The typed branch of loading and calling: a component that exports none
//! of `moat:plugin`'s interfaces is served through `crate::typed`, its
//! exported functions as tools.

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::component::InstancePre;

use super::bounds::Over;
use super::error::LoadError;
use super::plugin::LoadedPlugin;
use crate::clients::ClientLink;
use crate::runtime::{CallError, CallState, Described};
use crate::sandbox::limits::ListingLimits;
use crate::typed::docs::PackageDocs;
use crate::typed::exports::{Refusal, TypedFunc, discover};
use crate::typed::{TypedTool, call, tools};

/// The plain functions of `pre`'s component (the plugin `plugin`): more
/// than its `max_tools` is refused before any type is converted, an error
/// names those that cannot be served, and a component with none at all is
/// refused naming both ways to be a plugin.
pub(super) fn functions(
    pre: &InstancePre<CallState>,
    path: &Path,
    plugin: &str,
    listing: &ListingLimits,
) -> Result<Vec<TypedFunc>, LoadError> {
    let max = listing.max_tools;
    let funcs = discover(pre.component(), pre.engine(), max).map_err(|refusal| match refusal {
        Refusal::TooMany(count) => LoadError::OverLimit {
            path: path.to_owned(),
            plugin: plugin.to_owned(),
            over: Over {
                what: format!("it exports {count} functions"),
                limit: max.to_string(),
                key: "max_tools",
            },
        },
        Refusal::Functions(problem) => LoadError::Typed {
            path: path.to_owned(),
            problem,
        },
    })?;
    if funcs.is_empty() {
        return Err(LoadError::NothingToServe {
            path: path.to_owned(),
        });
    }
    Ok(funcs)
}

/// Derives the tools of `funcs` into `described`, with the docs of the
/// component's `package-docs` section (`docs`, its data) and the
/// manifest's `descriptions`; logs each tool without a description.
pub(super) fn derive(
    plugin: &mut LoadedPlugin,
    described: &mut Described,
    funcs: Vec<TypedFunc>,
    docs: Option<&[u8]>,
    descriptions: &BTreeMap<String, String>,
) {
    let docs = docs.and_then(|data| match PackageDocs::read(data) {
        Ok(docs) => Some(docs),
        Err(problem) => {
            let warning = format!("{problem}; it is ignored");
            tracing::warn!(plugin = &*plugin.name, "{warning}");
            plugin.warnings.push(warning);
            None
        }
    });
    let derived = tools::derive(funcs, docs.as_ref(), &plugin.name, descriptions);
    for warning in derived.warnings {
        tracing::warn!(plugin = &*plugin.name, "{warning}");
        plugin.warnings.push(warning);
    }
    described.tools = derived.definitions;
    plugin.typed = derived.tools;
}

impl LoadedPlugin {
    /// The plain functions served as tools, in the order of
    /// [`Self::tools`]; empty for a `moat:plugin` component.
    pub fn typed_tools(&self) -> &[TypedTool] {
        &self.typed
    }

    /// What loading warned about (tools without descriptions, unusable docs).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Runs the typed tool at `index` of [`Self::tools`].
    pub(super) async fn call_typed(
        &self,
        client: ClientLink,
        index: usize,
        arguments: &rmcp::model::JsonObject,
    ) -> Result<rmcp::model::CallToolResult, CallError> {
        let served = self.tools[index].name.as_ref();
        call::call(
            &self.instances,
            client,
            &self.typed[index],
            served,
            arguments,
        )
        .await
    }
}
