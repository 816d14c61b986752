//! One loaded plugin: its compiled component, ready to instantiate, its
//! sandbox, and the tools it described when it loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::Tool;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use wasmtime::component::Component;
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::bindings::moat::plugin::types::ToolResult;
use crate::bindings::{Plugin, PluginPre};
use crate::error::{CallError, LoadError};
use crate::manifest::Manifest;
use crate::runtime::Runtime;
use crate::sandbox::Sandbox;
use crate::state::CallState;
use crate::{tool_def, tool_result};

/// A plugin ready to serve calls. Cheap to share: calls never lock it.
pub struct LoadedPlugin {
    name: Arc<str>,
    path: PathBuf,
    pre: PluginPre<CallState>,
    sandbox: Sandbox,
    slots: Semaphore,
    /// The tools as served (with the manifest's prefix).
    tools: Vec<Tool>,
    /// The name the plugin itself gave each tool, in the order of `tools`.
    own_names: Vec<String>,
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
        let pre = compile(runtime, &path).await?;
        let mut plugin = Self {
            name,
            path,
            pre,
            slots: Semaphore::new(sandbox.limits().max_concurrency as usize),
            sandbox,
            tools: Vec::new(),
            own_names: Vec::new(),
        };
        plugin
            .describe(runtime, manifest.tools.prefix.as_deref())
            .await?;
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
        &self.sandbox
    }

    /// The interfaces the component imports, e.g. `wasi:io/streams@0.2.6`.
    pub fn imports(&self, engine: &wasmtime::Engine) -> Vec<String> {
        self.pre
            .instance_pre()
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

    /// Runs the served tool `tool` with `arguments` (a JSON object as text)
    /// in a fresh instance, under the plugin's limits.
    pub async fn call(
        &self,
        runtime: &Runtime,
        tool: &str,
        arguments: String,
    ) -> Result<rmcp::model::CallToolResult, CallError> {
        let own_name = self
            .tools
            .iter()
            .position(|t| t.name == tool)
            .map(|i| self.own_names[i].as_str())
            .unwrap_or(tool);
        let limits = self.sandbox.limits();
        let deadline = Instant::now() + limits.timeout;
        let _slot = tokio::time::timeout_at(deadline, self.slots.acquire())
            .await
            .map_err(|_| CallError::Busy {
                plugin: self.name.clone(),
                limit: limits.max_concurrency,
                waited: limits.timeout,
            })?
            .expect("the semaphore is never closed");
        let mut store = self.new_store(runtime, deadline)?;
        let run = async {
            let instance = self.instantiate(&mut store).await?;
            instance
                .moat_plugin_tools()
                .call_call(&mut store, own_name, &arguments)
                .await
        };
        let outcome = tokio::time::timeout_at(deadline, run).await;
        let result = self.finish(outcome, &store)?;
        let size = result_size(&result);
        if size > limits.max_output {
            return Err(CallError::Output {
                plugin: self.name.clone(),
                size,
                limit: limits.max_output,
            });
        }
        tool_result::to_mcp(result).map_err(|reason| CallError::BadResult {
            plugin: self.name.clone(),
            reason,
        })
    }

    async fn describe(&mut self, runtime: &Runtime, prefix: Option<&str>) -> Result<(), LoadError> {
        let deadline = Instant::now() + self.sandbox.limits().timeout;
        let described = async {
            let mut store = self.new_store(runtime, deadline)?;
            let run = async {
                let instance = self.instantiate(&mut store).await?;
                instance.moat_plugin_tools().call_describe(&mut store).await
            };
            let outcome = tokio::time::timeout_at(deadline, run).await;
            self.finish(outcome, &store)
        };
        let described = described.await.map_err(|source| LoadError::Describe {
            path: self.path.clone(),
            source,
        })?;
        for mut tool in described {
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
            self.tools.push(tool_def::to_mcp(tool).map_err(bad)?);
            self.own_names.push(own_name);
        }
        Ok(())
    }

    /// A fresh instance in `store`; a failure is marked as [`NotStarted`].
    async fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Plugin> {
        self.pre
            .instantiate_async(store)
            .await
            .map_err(|error| wasmtime::Error::new(NotStarted(format!("{error:#}"))))
    }

    /// A store granting what the sandbox grants, with the memory limit and
    /// the deadline set.
    fn new_store(
        &self,
        runtime: &Runtime,
        deadline: Instant,
    ) -> Result<Store<CallState>, CallError> {
        let state = CallState::new(self.name.clone(), &self.sandbox).map_err(|error| {
            CallError::NotStarted {
                plugin: self.name.clone(),
                reason: format!("{error:#}"),
            }
        })?;
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|state| state.limiter());
        // Check in at every epoch tick: trap once the deadline has passed,
        // otherwise yield so that a long computation shares its thread.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        Ok(store)
    }

    /// Logs what the plugin printed during a call that ran until it ended or
    /// hit its deadline (`Err(Elapsed)`: the wall clock also stops a call
    /// blocked in a host import), and names whatever went wrong.
    fn finish<T>(
        &self,
        outcome: Result<wasmtime::Result<T>, tokio::time::error::Elapsed>,
        store: &Store<CallState>,
    ) -> Result<T, CallError> {
        let stderr = store.data().flush_output();
        let limits = self.sandbox.limits();
        let plugin = self.name.clone();
        let timeout = || CallError::Timeout {
            plugin: self.name.clone(),
            limit: limits.timeout,
        };
        match outcome {
            Err(_elapsed) => Err(timeout()),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(match error.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => timeout(),
                _ if is_memory_limit(&error) => CallError::Memory {
                    plugin,
                    limit: limits.memory,
                },
                _ if let Some(NotStarted(reason)) = error.downcast_ref() => CallError::NotStarted {
                    plugin,
                    reason: reason.clone(),
                },
                _ => CallError::Trap {
                    plugin,
                    reason: match stderr {
                        Some(said) => format!("{}; its stderr said: {said}", trap_reason(&error)),
                        None => trap_reason(&error),
                    },
                },
            }),
        }
    }
}

/// Compiles the component at `path` (off the async threads) and checks it
/// against the linker and the `plugin` world.
async fn compile(runtime: &Runtime, path: &Path) -> Result<PluginPre<CallState>, LoadError> {
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
    runtime
        .linker()
        .instantiate_pre(&component)
        .and_then(PluginPre::new)
        .map_err(|source| LoadError::Contract {
            path: path.to_path_buf(),
            source: source.into(),
        })
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

/// The trap's own words, without wasmtime's backtrace.
fn trap_reason(error: &wasmtime::Error) -> String {
    match error.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => "it overflowed its stack (runaway recursion?)".into(),
        Some(Trap::UnreachableCodeReached) => "it aborted (a panic, or `unreachable`)".into(),
        // A Rust guest keeps its stack in linear memory: running off its end
        // is an out-of-bounds access rather than a wasm stack overflow.
        Some(Trap::MemoryOutOfBounds) => {
            "it accessed memory out of bounds (a stack overflow from deep recursion, or a bug)"
                .into()
        }
        Some(trap) => format!("it trapped: {trap}"),
        None => format!("{error}"),
    }
}

/// Instantiation failed: the pool is full, or the component's start-up
/// (its initial memory, its start functions) broke a limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct NotStarted(String);

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

/// `StoreLimits` with `trap_on_grow_failure` fails a grow past the limit
/// with this message rather than a `Trap` code.
fn is_memory_limit(error: &wasmtime::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .to_string()
            .contains("forcing trap when growing memory")
    })
}
