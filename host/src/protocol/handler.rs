//! The MCP methods, as rmcp dispatches them to [`MoatServer`]: each finds
//! the plugin that serves the request in the live registry and runs it.

// rmcp marks logging deprecated (SEP-2577), yet it is part of the 2025-11-25
// protocol and opt-in on 2026-07-28.
#![allow(deprecated)]

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult, CustomRequest,
    CustomResult, ErrorCode, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Reference, ServerConfig, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter,
    Tool, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::json;

use moat_policy::Target;

use super::input::binding;
use super::observing::{self, decided, failed};
use super::pages::page;
use super::params::invalid_params;
use super::restored::http_session;
use super::server::{Answer, MoatServer};
use super::visible;
use crate::observe::{Method, Outcome};
use crate::runtime::bindings::moat::plugin::server_types::CompletionTarget;

impl ServerHandler for MoatServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(self.capabilities())
            .with_server_info(Implementation::new("moat", env!("CARGO_PKG_VERSION")))
    }

    /// Accepts what a `subscriptions/listen` stream asks for; rmcp keeps
    /// only what the capabilities advertise (`listChanged` with `--watch`,
    /// resource updates always).
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(requested.clone())
    }

    /// Serves a `subscriptions/listen` stream; the changes of resources the
    /// caller may not read are not sent (see `may_read`).
    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        let gate = self.gate(context.request_context());
        let may_read = |uri: &str| self.may_read(&gate, uri);
        self.subscriptions.listen(context, may_read).await;
        Ok(())
    }

    /// One page of the tools (see `Listing`); a cursor this server did not
    /// give, or gave for a list that has changed since, is `-32602`.
    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (tools, next) = {
            let registry = self.registry.current();
            page(&visible::tools(&registry, &self.gate(&context)), &request)?
        };
        let mut result = ListToolsResult::with_all_items(tools);
        result.next_cursor = next;
        Ok(result)
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
        if let Some(limited) = self.admit_call(&request.name, &context)? {
            return Ok(limited);
        }
        let state = request.request_state.as_deref();
        let bound = || binding("tools/call", &request.name, &request.arguments);
        let retry = self.retry.open(request.input_responses, state, bound)?;
        let client = self.link(&context, retry)?;
        let caller = self.caller(&context);
        tokio::select! {
            result = self.call(&request.name, request.arguments.as_ref(), client, caller) => result,
            () = context.ct.cancelled() => {
                tracing::info!(tool = %request.name, "the client cancelled the call; stopped it");
                Err(ErrorData::internal_error("the call was cancelled", None))
            }
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

    /// One page of the resources, as `list_tools`.
    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let (resources, next) = {
            let registry = self.registry.current();
            page(
                &visible::resources(&registry, &self.gate(&context)),
                &request,
            )?
        };
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = next;
        Ok(result)
    }

    /// One page of the resource templates, as `list_tools`.
    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let (templates, next) = {
            let registry = self.registry.current();
            page(
                &visible::templates(&registry, &self.gate(&context)),
                &request,
            )?
        };
        let mut result = ListResourceTemplatesResult::with_all_items(templates);
        result.next_cursor = next;
        Ok(result)
    }

    /// Asks the plugin listing `uri`, or each whose template matches it,
    /// until one has it; none: `-32602` naming the URI (SEP-2164).
    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let bound = || binding("resources/read", &request.uri, &serde_json::Value::Null);
        let state = request.request_state.as_deref();
        let retry = self.retry.open(request.input_responses, state, bound)?;
        let registry = self.registry.current();
        let gate = self.gate(&context);
        let readable = registry
            .resource_routes(&request.uri)
            .into_iter()
            .filter(|plugin| {
                gate.allows(&Target::Resource {
                    uri: &request.uri,
                    plugin: plugin.name(),
                })
            });
        for plugin in readable {
            let client = self.link(&context, retry.clone())?;
            let stateless = client.stateless;
            let in_flight = self.begin(
                Method::ReadResource,
                plugin,
                &request.uri,
                &(),
                self.caller(&context),
            );
            match plugin.read(client, &request.uri).await {
                Ok(Some(contents)) => {
                    observing::end(in_flight, || Outcome::Ok);
                    return Ok(ReadResourceResult::new(contents).into());
                }
                Ok(None) => {
                    // Not this plugin's: not a request it served.
                    if let Some(in_flight) = in_flight {
                        in_flight.discard();
                    }
                    continue;
                }
                Err(error) => {
                    let answer = self.input_or_error(error, stateless, bound);
                    observing::end(in_flight, || decided(&answer));
                    return match answer? {
                        Answer::Input(input) => Ok(input.into()),
                        Answer::Failed(error) => {
                            Err(ErrorData::internal_error(error.to_string(), None))
                        }
                    };
                }
            }
        }
        Err(ErrorData::invalid_params(
            format!("no resource at {}", request.uri),
            Some(json!({"uri": request.uri})),
        ))
    }

    #[allow(deprecated)] // resources/subscribe is part of 2025-11-25
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        // A resource the caller may not read is not subscribed to, and is
        // answered as one nobody serves (which is subscribed to and never
        // changes): its changes must not reach the caller.
        if self.may_read(&self.gate(&context), &request.uri) {
            let shared = http_session(&context.extensions);
            let uri = request.uri;
            if !self
                .subscriptions
                .subscribe(self.session.id, uri.clone(), context.peer, shared)
            {
                let cap = crate::clients::MAX_SUBSCRIPTIONS_PER_SESSION;
                return Err(ErrorData::invalid_params(
                    format!(
                        "this session holds {cap} resource subscriptions, the limit per session; unsubscribe from one first"
                    ),
                    Some(json!({"uri": uri, "limit": "subscriptions per session", "value": cap})),
                ));
            }
        }
        Ok(())
    }

    #[allow(deprecated)] // resources/unsubscribe is part of 2025-11-25
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let shared = http_session(&context.extensions);
        self.subscriptions
            .unsubscribe(self.session.id, &request.uri, shared);
        Ok(())
    }

    /// One page of the prompts, as `list_tools`.
    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let (prompts, next) = {
            let registry = self.registry.current();
            page(&visible::prompts(&registry, &self.gate(&context)), &request)?
        };
        let mut result = ListPromptsResult::with_all_items(prompts);
        result.next_cursor = next;
        Ok(result)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let chosen = serde_json::to_value(request.arguments.clone().unwrap_or_default())
            .map_err(|e| ErrorData::invalid_params(format!("bad arguments: {e}"), None))?;
        let bound = || binding("prompts/get", &request.name, &chosen);
        let state = request.request_state.as_deref();
        let retry = self.retry.open(request.input_responses, state, bound)?;
        let registry = self.registry.current();
        let gate = self.gate(&context);
        let plugin = registry.prompt_route(&request.name).filter(|plugin| {
            gate.allows(&Target::Prompt {
                name: &request.name,
                plugin: plugin.name(),
            })
        });
        let plugin = plugin.ok_or_else(|| {
            ErrorData::invalid_params(format!("Unknown prompt: {}", request.name), None)
        })?;
        let arguments = chosen.to_string();
        let client = self.link(&context, retry)?;
        let stateless = client.stateless;
        let caller = self.caller(&context);
        let in_flight = self.begin(Method::GetPrompt, plugin, &request.name, &chosen, caller);
        match plugin.prompt(client, &request.name, arguments).await {
            Ok(Ok(result)) => {
                observing::end(in_flight, || Outcome::Ok);
                Ok(result.into())
            }
            Ok(Err(refused)) => {
                observing::end(in_flight, || Outcome::ToolError);
                Err(ErrorData::invalid_params(refused, None))
            }
            Err(error) => {
                let answer = self.input_or_error(error, stateless, bound);
                observing::end(in_flight, || decided(&answer));
                match answer? {
                    Answer::Input(input) => Ok(input.into()),
                    Answer::Failed(error) => {
                        Err(ErrorData::internal_error(error.to_string(), None))
                    }
                }
            }
        }
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let registry = self.registry.current();
        let (plugin, target) = match &request.r#ref {
            Reference::Prompt(prompt) => (
                registry.prompt_route(&prompt.name),
                CompletionTarget::Prompt(prompt.name.clone()),
            ),
            Reference::Resource(resource) => (
                registry.template_route(&resource.uri),
                CompletionTarget::ResourceTemplate(resource.uri.clone()),
            ),
            _ => return Ok(CompleteResult::default()),
        };
        // Completion follows the prompt or template it completes.
        let gate = self.gate(&context);
        let may = |plugin: &&std::sync::Arc<crate::plugins::LoadedPlugin>| {
            plugin.completes() && completes(plugin.name(), &target, &gate)
        };
        let Some(plugin) = plugin.filter(may) else {
            return Ok(CompleteResult::default());
        };
        let chosen = request
            .context
            .and_then(|c| c.arguments)
            .unwrap_or_default();
        let chosen = serde_json::to_string(&chosen)
            .map_err(|e| ErrorData::invalid_params(format!("bad context: {e}"), None))?;
        let client = self.link(&context, None)?;
        let argument = &request.argument;
        let (CompletionTarget::Prompt(named) | CompletionTarget::ResourceTemplate(named)) = &target;
        let caller = self.caller(&context);
        let in_flight = self.begin(Method::Complete, plugin, named, argument, caller);
        let completed = plugin
            .complete(client, target, &argument.name, &argument.value, chosen)
            .await;
        observing::end(in_flight, || match &completed {
            Ok(_) => Outcome::Ok,
            Err(error) => failed(error),
        });
        completed
            .map(CompleteResult::new)
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        *self
            .session
            .log_level
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(request.level);
        Ok(())
    }

    /// With `--watch`, remembers each client that completes the handshake,
    /// on any transport, to tell it when the lists change (and forgets
    /// those that have gone, so that HTTP sessions do not pile up).
    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.resubscribe(&context).await;
        if self.list_changes {
            let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers.retain(|peer| !peer.is_transport_closed());
            peers.push(context.peer);
        }
    }

    /// rmcp hands over, as a custom request, every request whose method it
    /// does not know *or whose params do not fit the method's type*: the
    /// latter get `-32602` naming what is wrong, the former `-32601`.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        let stateless = context
            .protocol_version()
            .is_some_and(|version| !version.has_initialize());
        if stateless && REMOVED_IN_2026.contains(&request.method.as_str()) {
            return Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                request.method,
                None,
            ));
        }
        Err(invalid_params(&request.method, request.params.as_ref()))
    }
}

/// Whether the caller may use what `target` completes.
fn completes(plugin: &str, target: &CompletionTarget, gate: &crate::access::Gate) -> bool {
    gate.allows(&match target {
        CompletionTarget::Prompt(name) => Target::Prompt { name, plugin },
        CompletionTarget::ResourceTemplate(uri) => Target::Resource { uri, plugin },
    })
}

/// Methods a stateless 2026-07-28 request cannot name (SEP-2575): whatever
/// their params, they are `-32601` (HTTP 404), never `-32602`.
const REMOVED_IN_2026: [&str; 4] = [
    "initialize",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];
