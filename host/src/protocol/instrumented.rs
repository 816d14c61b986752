//! [`Instrumented`]: the handler rmcp runs, which is [`MoatServer`] with
//! every request counted and timed by method ([`Methods`]) and, with
//! `--otlp`, a span per request named as the OpenTelemetry conventions for
//! MCP name it (`tools/call add`).
//!
//! rmcp's HTTP transport takes only a `ServerHandler`, and rmcp offers no
//! hook around its dispatch, so this is a `ServerHandler` that hands every
//! one of the trait's methods to [`MoatServer`], measured. Requests rmcp
//! refuses before dispatching (an unsupported protocol version, missing
//! `_meta` on a 2026-07-28 request) reach no handler and are not counted.
//! Upstream rmcp should offer a hook around dispatch (the method, the
//! outcome, the duration), which every server wanting metrics or traces
//! now writes as a wrapper like this one.

// rmcp marks logging and resources/subscribe deprecated (SEP-2577), yet
// they are part of the 2025-11-25 protocol.
#![allow(deprecated)]

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CancelTaskParams, CancelledNotificationParam,
    CompleteRequestParams, CompleteResult, CustomNotification, CustomRequest, CustomResult,
    DiscoverResult, GetPromptRequestParams, GetPromptResponse, GetSkillRequestParams,
    GetSkillResult, GetTaskParams, GetTaskResult, InitializeRequestParams, InitializeResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListSkillsResult,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProtocolVersion,
    ReadResourceDirectoryRequestParams, ReadResourceDirectoryResult, ReadResourceRequestParams,
    ReadResourceResponse, ServerConfig, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, Tool, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use tracing::Instrument as _;

use super::server::MoatServer;
use super::spans::{Target, finish, request_span};
use crate::auth::Identity;
use crate::metrics::Methods;

/// [`MoatServer`], measured.
#[derive(Clone)]
pub struct Instrumented {
    server: MoatServer,
    methods: Option<Arc<Methods>>,
}

impl Instrumented {
    /// `server`, counting its requests in `methods` if given.
    pub fn new(server: MoatServer, methods: Option<Arc<Methods>>) -> Self {
        Self { server, methods }
    }

    /// The same, for a new session (see [`MoatServer::new_session`]).
    pub fn new_session(&self) -> Self {
        Self {
            server: self.server.new_session(),
            methods: self.methods.clone(),
        }
    }

    /// The server measured.
    pub fn server(&self) -> &MoatServer {
        &self.server
    }

    fn notified(&self, method: &'static str) {
        if let Some(methods) = &self.methods {
            methods.received(method);
        }
    }
}

/// Runs `$call` (which takes `$context`) as the request `$method` on
/// `$target`: counted, timed, and in its span.
macro_rules! measured {
    ($self:ident, $method:literal, $context:ident, $target:expr, $call:expr) => {{
        if let Some(methods) = &$self.methods {
            methods.received($method);
            methods.acted_for(Identity::name_of(&$context.extensions));
        }
        let started = $self.methods.as_ref().map(|_| Instant::now());
        let span = request_span($method, &$context, $target);
        // Boxed: rmcp spawns a task per request whose future holds this
        // one inline, and moves it whole several times as it spawns; a
        // plugin call's state is kilobytes, a box is a pointer.
        let answer = Box::pin($call).instrument(span.clone()).await;
        if let (Some(methods), Some(started)) = (&$self.methods, started) {
            let code = answer.as_ref().err().map(|error: &ErrorData| error.code.0);
            methods.answered($method, started.elapsed(), code);
        }
        finish(&span, &answer);
        answer
    }};
}

impl ServerHandler for Instrumented {
    async fn ping(&self, context: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        measured!(
            self,
            "ping",
            context,
            Target::None,
            self.server.ping(context)
        )
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        measured!(
            self,
            "initialize",
            context,
            Target::None,
            self.server.initialize(request, context)
        )
    }

    fn negotiate_initialize(
        &self,
        request: &InitializeRequestParams,
    ) -> Result<InitializeResult, ErrorData> {
        self.server.negotiate_initialize(request)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        self.server.supported_protocol_versions()
    }

    async fn discover(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<DiscoverResult, ErrorData> {
        measured!(
            self,
            "server/discover",
            context,
            Target::None,
            self.server.discover(context)
        )
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        measured!(
            self,
            "completion/complete",
            context,
            Target::None,
            self.server.complete(request, context)
        )
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        measured!(
            self,
            "logging/setLevel",
            context,
            Target::None,
            self.server.set_level(request, context)
        )
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        measured!(
            self,
            "prompts/get",
            context,
            Target::Prompt(&request.name),
            self.server.get_prompt(request, context)
        )
    }

    async fn list_prompts(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        measured!(
            self,
            "prompts/list",
            context,
            Target::None,
            self.server.list_prompts(request, context)
        )
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        measured!(
            self,
            "resources/list",
            context,
            Target::None,
            self.server.list_resources(request, context)
        )
    }

    async fn list_resource_templates(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        measured!(
            self,
            "resources/templates/list",
            context,
            Target::None,
            self.server.list_resource_templates(request, context)
        )
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        measured!(
            self,
            "resources/read",
            context,
            Target::Uri(&request.uri),
            self.server.read_resource(request, context)
        )
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        self.server.accepted_subscription_filter(requested)
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        // A stream that lasts as long as the client keeps it: counted when
        // it opens, not timed.
        self.notified("subscriptions/listen");
        Box::pin(self.server.listen(context)).await
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        measured!(
            self,
            "resources/subscribe",
            context,
            Target::None,
            self.server.subscribe(request, context)
        )
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        measured!(
            self,
            "resources/unsubscribe",
            context,
            Target::None,
            self.server.unsubscribe(request, context)
        )
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        measured!(
            self,
            "tools/call",
            context,
            Target::Tool(&request.name),
            self.server.call_tool(request, context)
        )
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        measured!(
            self,
            "tools/list",
            context,
            Target::None,
            self.server.list_tools(request, context)
        )
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.server.get_tool(name)
    }

    async fn on_custom_request(
        &self,
        request: CustomRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, ErrorData> {
        // The method is the client's own text: counted as `other`.
        measured!(
            self,
            "other",
            context,
            Target::None,
            self.server.on_custom_request(request, context)
        )
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        self.notified("notifications/cancelled");
        self.server.on_cancelled(notification, context).await;
    }

    async fn on_progress(
        &self,
        notification: ProgressNotificationParam,
        context: NotificationContext<RoleServer>,
    ) {
        self.notified("notifications/progress");
        self.server.on_progress(notification, context).await;
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.notified("notifications/initialized");
        self.server.on_initialized(context).await;
    }

    async fn on_roots_list_changed(&self, context: NotificationContext<RoleServer>) {
        self.notified("notifications/roots/list_changed");
        self.server.on_roots_list_changed(context).await;
    }

    async fn on_custom_notification(
        &self,
        notification: CustomNotification,
        context: NotificationContext<RoleServer>,
    ) {
        self.notified("other");
        self.server
            .on_custom_notification(notification, context)
            .await;
    }

    fn get_info(&self) -> ServerConfig {
        self.server.get_info()
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        measured!(
            self,
            "tasks/get",
            context,
            Target::None,
            self.server.get_task(request, context)
        )
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        measured!(
            self,
            "tasks/update",
            context,
            Target::None,
            self.server.update_task(request, context)
        )
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        measured!(
            self,
            "tasks/cancel",
            context,
            Target::None,
            self.server.cancel_task(request, context)
        )
    }

    async fn list_skills(
        &self,
        request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListSkillsResult, ErrorData> {
        measured!(
            self,
            "skills/list",
            context,
            Target::None,
            self.server.list_skills(request, context)
        )
    }

    async fn get_skill(
        &self,
        request: GetSkillRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetSkillResult, ErrorData> {
        measured!(
            self,
            "skills/get",
            context,
            Target::None,
            self.server.get_skill(request, context)
        )
    }

    async fn read_resource_directory(
        &self,
        request: ReadResourceDirectoryRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceDirectoryResult, ErrorData> {
        measured!(
            self,
            "resources/directory/read",
            context,
            Target::None,
            self.server.read_resource_directory(request, context)
        )
    }
}
