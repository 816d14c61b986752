//! One loaded plugin: its compiled component, ready to instantiate, its
//! sandbox, and the tools, resources and prompts it described when it
//! loaded (see `load.rs`); each request runs in a fresh instance of it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::Tool;

use super::convert::{server_def, tool_result};
use super::secrets::{self, Request};
use crate::clients::ClientLink;
use crate::runtime::bindings::moat::plugin::server_types::{CompletionTarget, ReadError};
use crate::runtime::bindings::moat::plugin::types::ToolResult;
use crate::runtime::{CallError, Instances, Op, Output};
use crate::sandbox::Sandbox;
use crate::sandbox::manifest::SecretsSection;
use crate::sandbox::redactor::Redactor;

/// A plugin ready to serve calls. Cheap to share: calls never lock it.
/// Built by `load.rs`.
pub struct LoadedPlugin {
    pub(super) name: Arc<str>,
    pub(super) path: PathBuf,
    /// `sha256:HEX` of the component file, as loaded.
    pub(super) digest: Arc<str>,
    pub(super) instances: Arc<Instances>,
    /// The tools as served (with the manifest's prefix).
    pub(super) tools: Vec<Tool>,
    /// The name the plugin itself gave each tool, in the order of `tools`.
    pub(super) own_names: Vec<String>,
    /// Each tool's output schema, compiled, in the order of `tools`.
    pub(super) output_checks: Vec<Option<jsonschema::Validator>>,
    /// The resources it serves, as listed at load.
    pub(super) resources: Vec<rmcp::model::Resource>,
    /// The resource templates it serves, as listed at load.
    pub(super) templates: Vec<rmcp::model::ResourceTemplate>,
    /// The prompts it serves, as listed at load.
    pub(super) prompts: Vec<rmcp::model::Prompt>,
    /// For a plain typed component, each tool's function, in the order of
    /// `tools` (see `typed_tools.rs`); empty otherwise.
    pub(super) typed: Vec<crate::typed::TypedTool>,
    /// What loading warned about, for `moat check`.
    pub(super) warnings: Vec<String>,
    /// The manifest's `[secrets]` policy (see `secrets/`).
    pub(super) secrets: SecretsSection,
    /// The redactor of the secrets it is granted (`[capabilities.secrets]`),
    /// applied to every answer and error whatever `[secrets]` says.
    pub(super) granted: Option<Arc<Redactor>>,
    /// What the definition lint found at load (see `crate::lint`).
    pub(super) lint: crate::lint::PluginLint,
}

impl LoadedPlugin {
    /// The plugin's name, from its file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `sha256:HEX` of the component file the plugin was loaded from.
    pub fn digest(&self) -> &Arc<str> {
        &self.digest
    }

    /// The plugin's name, shared.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    /// What the plugin is granted, and its limits.
    pub fn sandbox(&self) -> &Sandbox {
        self.instances.sandbox()
    }

    /// The interfaces the component imports, e.g. `wasi:io/streams@0.2.6`.
    pub fn imports(&self, engine: &wasmtime::Engine) -> Vec<String> {
        self.instances
            .pre()
            .component()
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// What the definition lint found in its definitions at load.
    pub fn lint(&self) -> &crate::lint::PluginLint {
        &self.lint
    }

    /// The tools the plugin described at load, as served over MCP.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The resources the plugin listed at load.
    pub fn resources(&self) -> &[rmcp::model::Resource] {
        &self.resources
    }

    /// The resource templates the plugin listed at load.
    pub fn templates(&self) -> &[rmcp::model::ResourceTemplate] {
        &self.templates
    }

    /// The prompts the plugin listed at load.
    pub fn prompts(&self) -> &[rmcp::model::Prompt] {
        &self.prompts
    }

    /// The manifest's `[secrets]` policy.
    pub fn secrets(&self) -> SecretsSection {
        self.secrets
    }

    /// Whether the plugin completes arguments.
    pub fn completes(&self) -> bool {
        self.instances.exports().completion.is_some()
    }

    /// Runs the served tool `tool` with `arguments` in a fresh instance,
    /// under the plugin's limits, answering `client`. A typed tool takes
    /// them as they are; a `moat:plugin` tool as JSON text. The arguments
    /// and the result pass the manifest's `[secrets]` policy, the
    /// arguments before any instance is taken.
    pub async fn call(
        &self,
        client: ClientLink,
        tool: &str,
        arguments: &rmcp::model::JsonObject,
    ) -> Result<rmcp::model::CallToolResult, CallError> {
        let result = self.call_once(client, tool, arguments).await;
        result.map_err(|error| self.scrub(error))
    }

    /// A failure's text as the client may read it: the granted secrets
    /// redacted (the `[secrets]` policy applies in [`Self::run`]).
    fn scrub(&self, error: CallError) -> CallError {
        secrets::failure(SecretsSection::default(), self.granted.as_deref(), error)
    }

    /// [`Self::call`], before its error is scrubbed.
    async fn call_once(
        &self,
        client: ClientLink,
        tool: &str,
        arguments: &rmcp::model::JsonObject,
    ) -> Result<rmcp::model::CallToolResult, CallError> {
        let arguments = secrets::arguments(self.secrets, &self.name, tool, arguments).await?;
        let index = self.tools.iter().position(|t| t.name == tool);
        if let Some(i) = index.filter(|_| !self.typed.is_empty()) {
            let result = self.call_typed(client, i, &arguments).await;
            let result = result
                .map_err(|error| secrets::failure(self.secrets, self.granted.as_deref(), error))?;
            return secrets::answer(
                self.secrets,
                self.granted.as_deref(),
                &self.name,
                Request::Tool(tool),
                result,
            )
            .await;
        }
        let op = Op::Call {
            tool: index.map_or(tool, |i| self.own_names[i].as_str()),
            arguments: serde_json::to_string(&arguments).map_err(|error| {
                CallError::NotStarted {
                    plugin: self.name.clone(),
                    reason: format!("its arguments could not be written as JSON: {error}"),
                }
            })?,
        };
        let Output::Tool(result) = self.run(client, op).await? else {
            unreachable!("a call answers a tool result");
        };
        self.instances.check_output(result_size(&result))?;
        let bad = |reason| CallError::BadResult {
            plugin: self.name.clone(),
            reason,
        };
        let result = tool_result::to_mcp(result).map_err(bad)?;
        let result = secrets::answer(
            self.secrets,
            self.granted.as_deref(),
            &self.name,
            Request::Tool(tool),
            result,
        )
        .await?;
        let check = index.and_then(|i| self.output_checks[i].as_ref());
        if let Some(check) = check.filter(|_| result.is_error != Some(true)) {
            let structured = result.structured_content.as_ref().ok_or_else(|| {
                bad(format!(
                    "`{tool}` declares an output schema but returned no structured content"
                ))
            })?;
            check.validate(structured).map_err(|error| {
                bad(format!(
                    "the structured content of `{tool}` does not match its output schema: {error}"
                ))
            })?;
        }
        Ok(result)
    }

    /// Reads the resource at `uri`; `Ok(None)` if the plugin serves none there.
    pub async fn read(
        &self,
        client: ClientLink,
        uri: &str,
    ) -> Result<Option<Vec<rmcp::model::ResourceContents>>, CallError> {
        let read = self.read_once(client, uri).await;
        read.map_err(|error| self.scrub(error))
    }

    /// [`Self::read`], before its error is scrubbed.
    async fn read_once(
        &self,
        client: ClientLink,
        uri: &str,
    ) -> Result<Option<Vec<rmcp::model::ResourceContents>>, CallError> {
        let uri = &*secrets::uri(self.secrets, &self.name, uri).await?;
        let Output::Read(read) = self.run(client, Op::Read { uri }).await? else {
            unreachable!("a read answers contents");
        };
        match read {
            Ok(contents) => {
                self.instances
                    .check_output(contents.iter().map(server_def::contents_size).sum())?;
                let contents = contents.into_iter().map(server_def::contents).collect();
                secrets::answer(
                    self.secrets,
                    self.granted.as_deref(),
                    &self.name,
                    Request::Read(uri),
                    contents,
                )
                .await
                .map(Some)
            }
            Err(ReadError::NotFound) => Ok(None),
            Err(ReadError::Failed(reason)) => Err(CallError::BadResult {
                plugin: self.name.clone(),
                reason: format!("reading {uri} failed: {reason}"),
            }),
        }
    }

    /// Fills in the prompt `name` with `arguments` (a JSON object of
    /// strings); `Ok(Err(message))` when the plugin refuses the arguments.
    pub async fn prompt(
        &self,
        client: ClientLink,
        name: &str,
        arguments: String,
    ) -> Result<Result<rmcp::model::GetPromptResult, String>, CallError> {
        let arguments =
            secrets::prompt_arguments(self.secrets, &self.name, name, arguments).await?;
        let op = Op::Prompt { name, arguments };
        let Output::Prompt(prompt) = self.run(client, op).await? else {
            unreachable!("a prompt request answers a prompt");
        };
        let result = match prompt {
            Ok(prompt) => server_def::prompt_result(prompt),
            Err(mut refused) => {
                if let Some(granted) = &self.granted {
                    granted.redact_string(&mut refused);
                }
                return Ok(Err(refused));
            }
        };
        let result = secrets::answer(
            self.secrets,
            self.granted.as_deref(),
            &self.name,
            Request::Prompt(name),
            result,
        );
        result.await.map(Ok)
    }

    /// One run of the plugin; a failure's text passes the `[secrets]`
    /// policy for results.
    async fn run(&self, client: ClientLink, op: Op<'_>) -> Result<Output, CallError> {
        let output = self.instances.run(client, op).await;
        output.map_err(|error| secrets::failure(self.secrets, self.granted.as_deref(), error))
    }

    /// Suggests values for `argument` of `target`; `context` is a JSON
    /// object of the arguments already chosen.
    pub(crate) async fn complete(
        &self,
        client: ClientLink,
        target: CompletionTarget,
        argument: &str,
        value: &str,
        context: String,
    ) -> Result<rmcp::model::CompletionInfo, CallError> {
        let (value, context) =
            secrets::completion_arguments(self.secrets, &self.name, argument, value, context)
                .await?;
        let op = Op::Complete {
            target,
            argument,
            value: &value,
            context,
        };
        let Output::Completion(completion) = self.run(client, op).await? else {
            unreachable!("a completion request answers a completion");
        };
        let completion = server_def::completion(completion).map_err(|reason| {
            self.scrub(CallError::BadResult {
                plugin: self.name.clone(),
                reason,
            })
        })?;
        let request = Request::Complete(argument);
        secrets::answer(
            self.secrets,
            self.granted.as_deref(),
            &self.name,
            request,
            completion,
        )
        .await
    }
}

/// The bytes a result carries: text, binary data and structured JSON.
fn result_size(result: &ToolResult) -> usize {
    use crate::runtime::bindings::moat::plugin::types::{Content, ResourceBody};
    let content: usize = result
        .content
        .iter()
        .map(|item| match item {
            Content::Text(text) => text.len(),
            Content::Image(blob) | Content::Audio(blob) => blob.data.len(),
            Content::ResourceLink(link) => link.uri.len() + link.name.len(),
            Content::EmbeddedResource(embedded) => match &embedded.body {
                ResourceBody::Text(text) => text.len(),
                ResourceBody::Blob(bytes) => bytes.len(),
            },
        })
        .sum();
    content + result.structured.as_ref().map_or(0, String::len)
}
