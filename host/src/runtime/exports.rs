//! Which interfaces of the contract a component exports. The host serves
//! whichever it finds: a `plugin`-world component exports only `tools`; a
//! component that exports none of them may still be a plain typed one
//! (see `crate::typed`), which the loader decides.

use wasmtime::component::InstancePre;

use super::bindings::exports::moat::plugin::{completion, prompts, resources, tools};
use super::state::CallState;

/// The exported interfaces found in one component, ready to load from each
/// instance.
pub struct Exports {
    /// `moat:plugin/tools`.
    pub tools: Option<tools::GuestIndices>,
    /// `moat:plugin/resources`.
    pub resources: Option<resources::GuestIndices>,
    /// `moat:plugin/prompts`.
    pub prompts: Option<prompts::GuestIndices>,
    /// `moat:plugin/completion`.
    pub completion: Option<completion::GuestIndices>,
}

impl Exports {
    /// Finds the exports of `pre`'s component. An interface exported with
    /// the wrong functions is an error naming it.
    pub fn find(pre: &InstancePre<CallState>) -> anyhow::Result<Self> {
        Ok(Self {
            tools: find(pre, "tools", tools::GuestIndices::new)?,
            resources: find(pre, "resources", resources::GuestIndices::new)?,
            prompts: find(pre, "prompts", prompts::GuestIndices::new)?,
            completion: find(pre, "completion", completion::GuestIndices::new)?,
        })
    }

    /// Whether the component exports none of the contract's interfaces.
    pub fn is_empty(&self) -> bool {
        self.tools.is_none()
            && self.resources.is_none()
            && self.prompts.is_none()
            && self.completion.is_none()
    }
}

/// The indices of `moat:plugin/INTERFACE@0.1.0`, if the component exports it.
fn find<I>(
    pre: &InstancePre<CallState>,
    interface: &str,
    indices: fn(&InstancePre<CallState>) -> wasmtime::Result<I>,
) -> anyhow::Result<Option<I>> {
    let name = format!("moat:plugin/{interface}@0.1.0");
    if pre.component().get_export_index(None, &name).is_none() {
        return Ok(None);
    }
    indices(pre).map(Some).map_err(|error| {
        anyhow::anyhow!("its export `{name}` does not match the contract: {error}")
    })
}
