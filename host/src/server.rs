//! The MCP server: rmcp handles the protocol and calls into the registry.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::registry::Registry;
use crate::runtime::Runtime;
use crate::tool_result;

/// Serves the tools of a [`Registry`] to one or many MCP clients.
#[derive(Clone)]
pub struct MoatServer {
    runtime: Runtime,
    registry: Arc<Registry>,
}

impl MoatServer {
    /// A server for `registry`, running calls on `runtime`.
    pub fn new(runtime: Runtime, registry: Arc<Registry>) -> Self {
        Self { runtime, registry }
    }

    /// Runs one tool call. An unknown tool is a protocol error; everything
    /// that goes wrong inside the plugin is a tool result with `isError`.
    pub async fn call(
        &self,
        name: &str,
        arguments: Option<&rmcp::model::JsonObject>,
    ) -> Result<rmcp::model::CallToolResult, ErrorData> {
        let plugin = self
            .registry
            .route(name)
            .ok_or_else(|| ErrorData::invalid_params(format!("Unknown tool: {name}"), None))?;
        let arguments = match arguments {
            Some(object) => serde_json::to_string(object)
                .map_err(|e| ErrorData::invalid_params(format!("bad arguments: {e}"), None))?,
            None => "{}".to_owned(),
        };
        let outcome = plugin.call(&self.runtime, name, arguments).await;
        Ok(outcome.unwrap_or_else(|error| {
            tracing::warn!(tool = name, "{error}");
            tool_result::error(error.to_string())
        }))
    }
}

impl ServerHandler for MoatServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("moat", env!("CARGO_PKG_VERSION")))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.registry.tools().to_vec(),
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.call(&request.name, request.arguments.as_ref())
            .await
            .map(Into::into)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.registry
            .route(name)?
            .tools()
            .iter()
            .find(|tool| tool.name == name)
            .cloned()
    }
}
