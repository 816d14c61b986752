//! One loaded plugin: its compiled component, ready to instantiate, its
//! sandbox, and the tools, resources and prompts it described when it loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::Tool;
use tokio::sync::Semaphore;
use wasmtime::component::{Component, InstancePre};

use crate::bindings::moat::plugin::server_types::{CompletionTarget, ReadError};
use crate::bindings::moat::plugin::types::ToolResult;
use crate::client::ClientLink;
use crate::error::{CallError, LoadError};
use crate::exports::Exports;
use crate::instances::Instances;
use crate::invoke::{Op, Output};
use crate::manifest::Manifest;
use crate::runtime::Runtime;
use crate::sandbox::Sandbox;
use crate::state::CallState;
use crate::{server_def, tool_def, tool_result};

/// A plugin ready to serve calls. Cheap to share: calls never lock it.
pub struct LoadedPlugin {
    name: Arc<str>,
    path: PathBuf,
    instances: Arc<Instances>,
    exports: Exports,
    slots: Semaphore,
    /// The tools as served (with the manifest's prefix).
    tools: Vec<Tool>,
    /// The name the plugin itself gave each tool, in the order of `tools`.
    own_names: Vec<String>,
    /// Each tool's output schema, compiled, in the order of `tools`.
    output_checks: Vec<Option<jsonschema::Validator>>,
    /// The resources it serves, as listed at load.
    resources: Vec<rmcp::model::Resource>,
    /// The resource templates it serves, as listed at load.
    templates: Vec<rmcp::model::ResourceTemplate>,
    /// The prompts it serves, as listed at load.
    prompts: Vec<rmcp::model::Prompt>,
}

impl LoadedPlugin {
    /// Reads the manifest beside `path`, compiles the component, links it,
    /// and asks it for its tools. The plugin's name is the file's stem:
    /// `math.wasm` is `math`, and its manifest `math.toml`.
    pub async fn load(runtime: &Runtime, path: &Path) -> Result<Self, LoadError> {
        Self::load_with_manifest(runtime, path, Some(&Manifest::path_for(path))).await
    }

    /// Like [`Self::load`], with the manifest at `manifest` (if it exists)
    /// instead of beside the component; its relative paths are relative to
    /// its own directory. With `None`, the plugin is granted nothing.
    pub async fn load_with_manifest(
        runtime: &Runtime,
        path: &Path,
        manifest: Option<&Path>,
    ) -> Result<Self, LoadError> {
        let path = path.to_path_buf();
        let name: Arc<str> = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into())
            .unwrap_or_else(|| "plugin".into());
        let manifest_path = manifest;
        let manifest = match manifest_path {
            Some(file) => Manifest::read(file.to_owned())?,
            None => Manifest::default(),
        };
        let manifest_dir = manifest_path
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        let sandbox = Sandbox::from_manifest(&manifest, manifest_dir).map_err(|problem| {
            LoadError::Grant {
                path: manifest_path.unwrap_or(&path).to_owned(),
                problem,
            }
        })?;
        let (pre, exports) = compile(runtime, &path).await?;
        let mut plugin = Self {
            slots: Semaphore::new(sandbox.limits().max_concurrency as usize),
            instances: Arc::new(Instances::new(name.clone(), pre, sandbox)),
            name,
            path,
            exports,
            tools: Vec::new(),
            own_names: Vec::new(),
            output_checks: Vec::new(),
            resources: Vec::new(),
            templates: Vec::new(),
            prompts: Vec::new(),
        };
        plugin.describe(manifest.tools.prefix.as_deref()).await?;
        Ok(plugin)
    }

    /// The plugin's name, from its file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file the plugin was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// Whether the plugin completes arguments.
    pub fn completes(&self) -> bool {
        self.exports.completion.is_some()
    }

    /// Runs the served tool `tool` with `arguments` (a JSON object as text)
    /// in a fresh instance, under the plugin's limits, answering `client`.
    pub async fn call(
        &self,
        client: ClientLink,
        tool: &str,
        arguments: String,
    ) -> Result<rmcp::model::CallToolResult, CallError> {
        let index = self.tools.iter().position(|t| t.name == tool);
        let op = Op::Call {
            tool: index.map_or(tool, |i| self.own_names[i].as_str()),
            arguments,
        };
        let Output::Tool(result) = self.run(client, op).await? else {
            unreachable!("a call answers a tool result");
        };
        self.check_size(result_size(&result))?;
        let bad = |reason| CallError::BadResult {
            plugin: self.name.clone(),
            reason,
        };
        let result = tool_result::to_mcp(result).map_err(bad)?;
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
        let Output::Read(read) = self.run(client, Op::Read { uri }).await? else {
            unreachable!("a read answers contents");
        };
        match read {
            Ok(contents) => {
                self.check_size(contents.iter().map(server_def::contents_size).sum())?;
                Ok(Some(
                    contents.into_iter().map(server_def::contents).collect(),
                ))
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
        let op = Op::Prompt { name, arguments };
        let Output::Prompt(prompt) = self.run(client, op).await? else {
            unreachable!("a prompt request answers a prompt");
        };
        Ok(prompt.map(server_def::prompt_result))
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
        let op = Op::Complete {
            target,
            argument,
            value,
            context,
        };
        let Output::Completion(completion) = self.run(client, op).await? else {
            unreachable!("a completion request answers a completion");
        };
        server_def::completion(completion).map_err(|reason| CallError::BadResult {
            plugin: self.name.clone(),
            reason,
        })
    }

    /// Whether a result of `size` bytes is within the plugin's `max_output`.
    fn check_size(&self, size: usize) -> Result<(), CallError> {
        let limit = self.sandbox().limits().max_output;
        if size > limit {
            return Err(CallError::Output {
                plugin: self.name.clone(),
                size,
                limit,
            });
        }
        Ok(())
    }

    /// Asks the plugin, once, what it serves.
    async fn describe(&mut self, prefix: Option<&str>) -> Result<(), LoadError> {
        let described = self.run(ClientLink::default(), Op::Describe).await;
        let Output::Described(described) = described.map_err(|source| LoadError::Describe {
            path: self.path.clone(),
            source,
        })?
        else {
            unreachable!("describing answers descriptions");
        };
        for mut tool in described.tools {
            let own_name = tool.name.clone();
            let bad = |problem| LoadError::BadTool {
                path: self.path.clone(),
                tool: own_name.clone(),
                problem,
            };
            if self.own_names.contains(&own_name) {
                return Err(bad("is described twice".into()));
            }
            if let Some(prefix) = prefix {
                tool.name = format!("{prefix}_{}", tool.name);
            }
            let tool = tool_def::to_mcp(tool).map_err(bad)?;
            let check = match &tool.output_schema {
                Some(schema) => Some(
                    jsonschema::validator_for(&serde_json::Value::Object((**schema).clone()))
                        .map_err(|e| {
                            bad(format!(
                                "has an output schema that is not a valid JSON Schema: {e}"
                            ))
                        })?,
                ),
                None => None,
            };
            self.tools.push(tool);
            self.own_names.push(own_name);
            self.output_checks.push(check);
        }
        self.resources = described
            .resources
            .into_iter()
            .map(server_def::resource)
            .collect();
        self.templates = described
            .templates
            .into_iter()
            .map(server_def::template)
            .collect();
        self.prompts = described
            .prompts
            .into_iter()
            .map(server_def::prompt)
            .collect();
        Ok(())
    }

    pub(crate) fn instances(&self) -> &Arc<Instances> {
        &self.instances
    }

    pub(crate) fn exports(&self) -> &Exports {
        &self.exports
    }

    pub(crate) fn slots(&self) -> &Semaphore {
        &self.slots
    }

    pub(crate) fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }
}

/// Compiles the component at `path` (off the async threads), links it, and
/// finds which interfaces it exports.
async fn compile(
    runtime: &Runtime,
    path: &Path,
) -> Result<(InstancePre<CallState>, Exports), LoadError> {
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|source| LoadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if let Some(problem) = not_a_component(&bytes) {
        return Err(LoadError::Compile {
            path: path.to_path_buf(),
            source: anyhow::anyhow!(problem),
        });
    }
    let engine = runtime.engine().clone();
    let component = tokio::task::spawn_blocking(move || Component::new(&engine, bytes))
        .await
        .map_err(|join| anyhow::anyhow!("the compiler crashed: {join}"))
        .and_then(|compiled| compiled.map_err(anyhow::Error::from))
        .map_err(|source| LoadError::Compile {
            path: path.to_path_buf(),
            source,
        })?;
    let contract = |source: anyhow::Error| LoadError::Contract {
        path: path.to_path_buf(),
        source,
    };
    let pre = runtime
        .linker()
        .instantiate_pre(&component)
        .map_err(|error| contract(error.into()))?;
    let exports = Exports::find(&pre).map_err(contract)?;
    Ok((pre, exports))
}

/// The bytes a result carries: text, binary data and structured JSON.
fn result_size(result: &ToolResult) -> usize {
    use crate::bindings::moat::plugin::types::{Content, ResourceBody};
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

/// Names the common ways a file is not a component, before the compiler
/// gives a less readable answer.
fn not_a_component(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_VERSION: &[u8] = &[1, 0, 0, 0];
    if !bytes.starts_with(MAGIC) {
        return Some("not a WebAssembly file: it does not start with the `\\0asm` header");
    }
    if bytes.get(4..8) == Some(CORE_VERSION) {
        return Some(
            "a core WebAssembly module, not a component: build it with \
             `--target wasm32-wasip2`, or wrap it with `wasm-tools component new`",
        );
    }
    None
}
