//! What the handler checks before a request reaches a plugin: the policy
//! (an item outside it does not exist for that caller: the error an
//! unknown name gets) and, where the transport has not already counted
//! them (stdio), the rate limits (a tool result with `isError`).

use moat_policy::Target;
use rmcp::model::CallToolResponse;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer};

use super::server::MoatServer;
use super::visible;
use crate::access::{Charged, Gate};
use crate::auth::Identity;
use crate::plugins::convert::tool_result;

impl MoatServer {
    /// What the caller of `context`'s request may use.
    pub(super) fn gate(&self, context: &RequestContext<RoleServer>) -> Gate {
        self.access.gate(&Identity::of(&context.extensions))
    }

    /// Whether `gate` lets its caller hear of changes to `uri`: a URI no
    /// plugin serves, or one some plugin serving it lets the caller read.
    pub(super) fn may_read(&self, gate: &Gate, uri: &str) -> bool {
        let registry = self.registry.current();
        let routes = registry.resource_routes(uri);
        routes.is_empty() || visible::readable(&routes, gate, uri)
    }

    /// Admits a `tools/call` of `name`: `Err` (the unknown-tool error) if
    /// the policy hides it, `Ok(Some(..))` the tool error of a rate limit
    /// hit, `Ok(None)` to run it. A name no plugin serves is left to the
    /// call, which refuses it the same way.
    pub(super) fn admit_call(
        &self,
        name: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<Option<CallToolResponse>, ErrorData> {
        let registry = self.registry.current();
        let Some(plugin) = registry.route(name) else {
            return Ok(None);
        };
        let identity = Identity::of(&context.extensions);
        let target = Target::Tool {
            name,
            plugin: plugin.name(),
        };
        if !self.access.gate(&identity).allows(&target) {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {name}"),
                None,
            ));
        }
        let charged = context
            .extensions
            .get::<http::request::Parts>()
            .is_some_and(|parts| parts.extensions.get::<Charged>().is_some());
        if charged {
            return Ok(None);
        }
        match self.access.charge(&identity, name) {
            Ok(()) => Ok(None),
            Err(limited) => {
                tracing::warn!(tool = name, identity = %identity.name, "{limited}");
                Ok(Some(tool_result::error(limited.to_string()).into()))
            }
        }
    }
}
