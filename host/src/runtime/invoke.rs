//! Running one request in a fresh instance of a plugin: the store, the
//! deadline, the concurrency slot, and what each way of failing becomes.

use tokio::time::Instant;
use wasmtime::component::{ComponentExportIndex, Instance, Val};
use wasmtime::{Store, Trap};

use std::sync::Arc;

use tracing::{Instrument as _, Span};

use super::bindings::moat::plugin::server_types::{
    Completion, CompletionTarget, Prompt, PromptResult, ReadError, Resource, ResourceContents,
    ResourceTemplate,
};
use super::bindings::moat::plugin::types::{self, ToolResult};
use super::cause::{
    HOSTCALL_FUEL, NotStarted, copied_too_much, exceeded, in_guest, not_started, trap_reason,
};
use super::error::{CallError, Exceeded};
use super::instances::{Fresh, Instances};
use super::state::CallState;
use crate::clients::{ClientLink, InputRequired, MissingCapability};
use crate::observe::trace::{self, TARGET};

/// The least hostcall fuel a typed call is given, whatever its `max_output`:
/// room for the host imports it calls (a 64 KiB write to stderr).
const MIN_FUEL: usize = 1 << 20;

/// What to ask of the instance.
pub enum Op<'a> {
    /// Everything the plugin serves, at load.
    Describe,
    /// `tools/call`, with the plugin's own tool name.
    Call { tool: &'a str, arguments: String },
    /// A plain typed component's function (found at load, by `crate::typed`),
    /// called with `params`, checked against its types; it returns
    /// `results` values (0 or 1).
    Typed {
        func: ComponentExportIndex,
        params: Vec<Val>,
        results: usize,
    },
    /// `resources/read`.
    Read { uri: &'a str },
    /// `prompts/get`; `arguments` is a JSON object of strings.
    Prompt { name: &'a str, arguments: String },
    /// `completion/complete`.
    Complete {
        target: CompletionTarget,
        argument: &'a str,
        value: &'a str,
        context: String,
    },
}

/// What the instance answered, one variant per [`Op`].
pub enum Output {
    /// The plugin's own descriptions.
    Described(Described),
    /// A tool's result.
    Tool(ToolResult),
    /// What a typed function returned.
    Values(Vec<Val>),
    /// A resource's contents.
    Read(Result<Vec<ResourceContents>, ReadError>),
    /// A filled-in prompt.
    Prompt(Result<PromptResult, String>),
    /// Suggested values.
    Completion(Completion),
}

/// Everything a plugin serves, as it describes it.
#[derive(Default)]
pub struct Described {
    pub tools: Vec<types::Tool>,
    pub resources: Vec<Resource>,
    pub templates: Vec<ResourceTemplate>,
    pub prompts: Vec<Prompt>,
}

impl Instances {
    /// Runs `op` in a fresh instance (the spare made ahead of time, when one
    /// is ready: see [`Instances`]), answering `client`, under the
    /// plugin's limits: a concurrency slot, memory, and one deadline for the
    /// wait, the start and the run.
    ///
    /// With `--otlp`, the run is a span `plugin run` (attributes: the
    /// plugin, the tool, prompt or URI, and the outcome), with the making of
    /// its instance (`instance`) and the plugin's own work (`guest`) as
    /// children.
    pub async fn run(
        self: &Arc<Self>,
        client: ClientLink,
        op: Op<'_>,
    ) -> Result<Output, CallError> {
        // The run's future holds wasmtime's call state, several KiB: boxed,
        // every future that awaits it (rmcp's task for the request among
        // them) stays small, and is not copied whole each time it moves.
        let traced = trace::on() && !matches!(op, Op::Describe);
        let span = traced.then(|| run_span(&self.shared_name(), &op));
        let run = Box::pin(self.run_untraced(client, op));
        let Some(span) = span else {
            return run.await;
        };
        let result = run.instrument(span.clone()).await;
        let outcome = match &result {
            Ok(Output::Tool(result)) if result.is_error => "tool_error",
            Ok(_) => "ok",
            Err(CallError::InputRequired { .. }) => "input_required",
            Err(error) => {
                span.record("otel.status_code", "error");
                span.record("error.type", error.limit().unwrap_or("failed"));
                "failed"
            }
        };
        span.record("moat.outcome", outcome);
        result
    }

    async fn run_untraced(
        self: &Arc<Self>,
        client: ClientLink,
        op: Op<'_>,
    ) -> Result<Output, CallError> {
        let limits = self.sandbox().limits();
        let deadline = Instant::now() + limits.timeout;
        let _slot = tokio::time::timeout_at(deadline, self.slots().acquire())
            .await
            .map_err(|_| CallError::Busy {
                plugin: self.shared_name(),
                limit: limits.max_concurrency,
                waited: limits.timeout,
            })?
            .expect("the semaphore is never closed");
        let (mut store, ready) = match self.take_spare() {
            Some(Fresh { store, instance }) => (store, Some(instance)),
            None => {
                let store = self
                    .store(deadline)
                    .map_err(|error| CallError::NotStarted {
                        plugin: self.shared_name(),
                        reason: format!("{error:#}"),
                    })?;
                (store, None)
            }
        };
        store.data_mut().begin(client, deadline);
        store.set_epoch_deadline(1);
        let request = !matches!(op, Op::Describe);
        if !request {
            // Bounds the bytes wasmtime copies out of the plugin for each
            // list it returns at load, before the host can count them: a
            // list of strings that all point at one large buffer would
            // otherwise make the host copy it once per item. The store is
            // dropped after describing, so no request runs under this.
            store.set_hostcall_fuel(self.sandbox().listing().lift_budget());
        }
        let run = async {
            let spare = ready.is_some();
            let instance = async {
                match ready {
                    Some(instance) => Ok(instance),
                    None => self
                        .pre()
                        .instantiate_async(&mut store)
                        .await
                        .map_err(|error| match exceeded(&error, self.sandbox().limits()) {
                            Some(limit) => wasmtime::Error::new(limit),
                            None => wasmtime::Error::new(NotStarted(not_started(&error))),
                        }),
                }
            };
            let instance = instance.instrument(child_span("instance", spare)).await?;
            let guest = child_span("guest", spare);
            self.invoke(&mut store, &instance, op)
                .instrument(guest)
                .await
        };
        let outcome = tokio::time::timeout_at(deadline, run).await;
        let result = self.finish(outcome, &store);
        // Loading describes the plugin once: no spare for a plugin that may
        // never serve a request.
        if request {
            self.recycle(store);
        }
        result
    }

    async fn invoke(
        &self,
        store: &mut Store<CallState>,
        instance: &Instance,
        op: Op<'_>,
    ) -> wasmtime::Result<Output> {
        let exports = self.exports();
        let missing = |interface: &str| {
            wasmtime::Error::msg(format!("the plugin does not export `{interface}`"))
        };
        Ok(match op {
            Op::Describe => {
                let mut described = Described::default();
                if let Some(tools) = &exports.tools {
                    let tools = tools.load(&mut *store, instance)?;
                    described.tools = tools.call_describe(&mut *store).await?;
                }
                if let Some(resources) = &exports.resources {
                    let resources = resources.load(&mut *store, instance)?;
                    described.resources = resources.call_list(&mut *store).await?;
                    described.templates = resources.call_templates(&mut *store).await?;
                }
                if let Some(prompts) = &exports.prompts {
                    let prompts = prompts.load(&mut *store, instance)?;
                    described.prompts = prompts.call_list(&mut *store).await?;
                }
                if let Some(completion) = &exports.completion {
                    // Checks the function's type now rather than at the first request.
                    completion.load(&mut *store, instance)?;
                }
                Output::Described(described)
            }
            Op::Call { tool, arguments } => {
                let tools = exports.tools.as_ref().ok_or_else(|| missing("tools"))?;
                let tools = tools.load(&mut *store, instance)?;
                Output::Tool(tools.call_call(&mut *store, tool, &arguments).await?)
            }
            Op::Typed {
                func,
                params,
                results,
            } => {
                let func = instance
                    .get_func(&mut *store, func)
                    .ok_or_else(|| missing("the function found at load"))?;
                // wasmtime counts each value it lifts out of the plugin as
                // `size_of::<Val>()` bytes of fuel; any result whose JSON fits
                // `max_output` takes less than this, so a larger one is
                // refused while it is lifted, before the host holds it.
                let fuel = self.sandbox().limits().max_output;
                store.set_hostcall_fuel(fuel.saturating_mul(size_of::<Val>()).max(MIN_FUEL));
                let mut out = vec![Val::Bool(false); results];
                // wasmtime 48 runs the post-return itself: nothing to call after.
                func.call_async(&mut *store, &params, &mut out).await?;
                Output::Values(out)
            }
            Op::Read { uri } => {
                let resources = exports
                    .resources
                    .as_ref()
                    .ok_or_else(|| missing("resources"))?;
                let resources = resources.load(&mut *store, instance)?;
                Output::Read(resources.call_read(&mut *store, uri).await?)
            }
            Op::Prompt { name, arguments } => {
                let prompts = exports.prompts.as_ref().ok_or_else(|| missing("prompts"))?;
                let prompts = prompts.load(&mut *store, instance)?;
                Output::Prompt(prompts.call_get(&mut *store, name, &arguments).await?)
            }
            Op::Complete {
                target,
                argument,
                value,
                context,
            } => {
                let completion = exports
                    .completion
                    .as_ref()
                    .ok_or_else(|| missing("completion"))?;
                let completion = completion.load(&mut *store, instance)?;
                Output::Completion(
                    completion
                        .call_complete(&mut *store, &target, argument, value, &context)
                        .await?,
                )
            }
        })
    }

    /// Logs what the plugin printed during a run that ended or hit its
    /// deadline (`Err(Elapsed)`: the wall clock also stops a run blocked in
    /// a host import), and names whatever went wrong.
    fn finish<T>(
        &self,
        outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
        store: &Store<CallState>,
    ) -> Result<T, CallError> {
        let stderr = store.data().flush_output();
        let limits = self.sandbox().limits();
        let plugin = self.shared_name();
        let timeout = || CallError::Timeout {
            plugin: self.shared_name(),
            limit: limits.timeout,
        };
        let error = match outcome {
            Err(_elapsed) => return Err(timeout()),
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => error,
        };
        Err(match error.downcast::<InputRequired>() {
            Ok(input) => CallError::InputRequired { plugin, input },
            Err(error) => match error.downcast::<MissingCapability>() {
                Ok(MissingCapability { capability }) => {
                    CallError::MissingCapability { plugin, capability }
                }
                Err(error) => match error.downcast_ref::<Trap>() {
                    Some(Trap::Interrupt) => timeout(),
                    _ if let Some(exceeded) = exceeded(&error, limits) => match exceeded {
                        Exceeded::Memory(limit) => CallError::Memory { plugin, limit },
                        exceeded => CallError::Limit { plugin, exceeded },
                    },
                    _ if copied_too_much(&error) && !in_guest(&error) => {
                        CallError::OutputTooLarge {
                            plugin,
                            copied: store.hostcall_fuel().min(HOSTCALL_FUEL),
                            limit: limits.max_output,
                        }
                    }
                    _ if let Some(NotStarted(reason)) = error.downcast_ref() => {
                        CallError::NotStarted {
                            plugin,
                            reason: reason.clone(),
                        }
                    }
                    _ => CallError::Trap {
                        plugin,
                        reason: match stderr {
                            Some(said) => {
                                format!("{}; its stderr said: {said}", trap_reason(&error))
                            }
                            None => trap_reason(&error),
                        },
                    },
                },
            },
        })
    }
}

/// The span of one plugin run of `op` in `plugin`.
fn run_span(plugin: &str, op: &Op<'_>) -> Span {
    let (tool, prompt, uri) = match op {
        Op::Call { tool, .. } => (Some(*tool), None, None),
        Op::Prompt { name, .. } => (None, Some(*name), None),
        Op::Read { uri } => (None, None, Some(trace::bounded(uri))),
        Op::Describe | Op::Typed { .. } | Op::Complete { .. } => (None, None, None),
    };
    tracing::info_span!(
        target: TARGET,
        "plugin run",
        "moat.plugin" = plugin,
        "gen_ai.tool.name" = tool,
        "gen_ai.prompt.name" = prompt,
        "mcp.resource.uri" = uri,
        "moat.outcome" = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
        "otel.status_code" = tracing::field::Empty,
    )
}

/// A span inside a plugin run (`instance`, `guest`), when spans are on;
/// `spare` tells whether the instance was made ahead of time.
fn child_span(name: &'static str, spare: bool) -> Span {
    if !trace::on() {
        return Span::none();
    }
    match name {
        "instance" => tracing::info_span!(target: TARGET, "instance", "moat.spare" = spare),
        _ => tracing::info_span!(target: TARGET, "guest"),
    }
}
