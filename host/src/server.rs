//! The MCP server: rmcp handles the protocol and calls into the registry.

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{NotificationContext, Peer, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};

use crate::registry::LiveRegistry;
use crate::runtime::Runtime;
use crate::tool_result;

/// Serves the tools of a [`LiveRegistry`] to one or many MCP clients.
#[derive(Clone)]
pub struct MoatServer {
    runtime: Runtime,
    registry: LiveRegistry,
    /// Whether the tool list can change while serving (`--watch`).
    list_changes: bool,
    /// Connected clients, told when the tool list changes.
    peers: Arc<Mutex<Vec<Peer<RoleServer>>>>,
}

impl MoatServer {
    /// A server for `registry`, running calls on `runtime`. With
    /// `list_changes`, it advertises `tools.listChanged` and
    /// [`Self::tools_changed`] notifies its clients.
    pub fn new(runtime: Runtime, registry: LiveRegistry, list_changes: bool) -> Self {
        Self {
            runtime,
            registry,
            list_changes,
            peers: Arc::default(),
        }
    }

    /// Runs one tool call. An unknown tool is a protocol error; everything
    /// that goes wrong inside the plugin is a tool result with `isError`.
    pub async fn call(
        &self,
        name: &str,
        arguments: Option<&JsonObject>,
    ) -> Result<CallToolResult, ErrorData> {
        let registry = self.registry.current();
        let plugin = registry
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

    /// Sends `notifications/tools/list_changed` to every connected client,
    /// forgetting the ones that have gone.
    pub async fn tools_changed(&self) {
        let peers = {
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.retain(|peer| !peer.is_transport_closed());
            peers.clone()
        };
        for peer in peers {
            if let Err(error) = peer.notify_tool_list_changed().await {
                tracing::debug!("a client missed a tool list change: {error}");
            }
        }
    }
}

impl ServerHandler for MoatServer {
    fn get_info(&self) -> ServerConfig {
        let tools = ServerCapabilities::builder().enable_tools();
        let capabilities = if self.list_changes {
            tools.enable_tool_list_changed().build()
        } else {
            tools.build()
        };
        ServerConfig::new(capabilities)
            .with_server_info(Implementation::new("moat", env!("CARGO_PKG_VERSION")))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.registry.current().tools().to_vec(),
        ))
    }

    /// Runs a tool call until it ends or the client cancels it (or goes
    /// away): cancelling drops the call, which stops the plugin at its next
    /// epoch tick and frees its instance. rmcp sends no answer to a
    /// cancelled request.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        tokio::select! {
            result = self.call(&request.name, request.arguments.as_ref()) => result.map(Into::into),
            () = context.ct.cancelled() => {
                tracing::info!(tool = %request.name, "the client cancelled the call; stopped it");
                Err(ErrorData::internal_error("the call was cancelled", None))
            }
        }
    }

    /// With `--watch`, remembers each client that completes the handshake,
    /// on any transport, to tell it when the tool list changes (and forgets
    /// those that have gone, so that HTTP sessions do not pile up).
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        if self.list_changes {
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.retain(|peer| !peer.is_transport_closed());
            peers.push(context.peer);
        }
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        let registry = self.registry.current();
        registry
            .route(name)?
            .tools()
            .iter()
            .find(|tool| tool.name == name)
            .cloned()
    }
}
