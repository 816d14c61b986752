//! One loaded plugin: its compiled component, ready to instantiate, and the
//! tools it described when it loaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::Tool;
use wasmtime::component::Component;
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::bindings::PluginPre;
use crate::bindings::moat::plugin::types::ToolResult;
use crate::error::{CallError, LoadError};
use crate::runtime::Runtime;
use crate::state::CallState;
use crate::tool_def;

/// A plugin ready to serve calls. Cheap to share: calls never lock it.
pub struct LoadedPlugin {
    name: Arc<str>,
    path: PathBuf,
    pre: PluginPre<CallState>,
    tools: Vec<Tool>,
}

impl LoadedPlugin {
    /// Compiles the component at `path`, links it, and asks it for its tools.
    /// The plugin's name is the file's stem: `math.wasm` is `math`.
    pub async fn load(runtime: &Runtime, path: &Path) -> Result<Self, LoadError> {
        let path = path.to_path_buf();
        let name: Arc<str> = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into())
            .unwrap_or_else(|| "plugin".into());
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|source| LoadError::Read {
                path: path.clone(),
                source,
            })?;
        if let Some(problem) = not_a_component(&bytes) {
            return Err(LoadError::Compile {
                path,
                source: anyhow::anyhow!(problem),
            });
        }
        let engine = runtime.engine().clone();
        let component = tokio::task::spawn_blocking(move || Component::new(&engine, bytes))
            .await
            .map_err(|join| anyhow::anyhow!("the compiler crashed: {join}"))
            .and_then(|compiled| compiled.map_err(anyhow::Error::from))
            .map_err(|source| LoadError::Compile {
                path: path.clone(),
                source,
            })?;
        let pre = runtime
            .linker()
            .instantiate_pre(&component)
            .and_then(PluginPre::new)
            .map_err(|source| LoadError::Contract {
                path: path.clone(),
                source: source.into(),
            })?;
        let mut plugin = Self {
            name,
            path,
            pre,
            tools: Vec::new(),
        };
        plugin.tools = plugin.describe(runtime).await?;
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

    /// The tools the plugin described at load, as MCP definitions.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// Runs `tool` with `arguments` (a JSON object as text) in a fresh instance.
    pub async fn call(
        &self,
        runtime: &Runtime,
        tool: &str,
        arguments: String,
    ) -> Result<ToolResult, CallError> {
        let mut store = self.new_store(runtime);
        let run = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance
                .moat_plugin_tools()
                .call_call(&mut store, tool, &arguments)
                .await
        };
        self.finish(runtime, run).await
    }

    async fn describe(&self, runtime: &Runtime) -> Result<Vec<Tool>, LoadError> {
        let mut store = self.new_store(runtime);
        let run = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            instance.moat_plugin_tools().call_describe(&mut store).await
        };
        let described = self
            .finish(runtime, run)
            .await
            .map_err(|source| LoadError::Describe {
                path: self.path.clone(),
                source,
            })?;
        let mut tools: Vec<Tool> = Vec::with_capacity(described.len());
        for tool in described {
            let name = tool.name.clone();
            let bad = |problem| LoadError::BadTool {
                path: self.path.clone(),
                tool: name.clone(),
                problem,
            };
            if tools.iter().any(|seen| seen.name == name) {
                return Err(bad("is described twice".into()));
            }
            tools.push(tool_def::to_mcp(tool).map_err(bad)?);
        }
        Ok(tools)
    }

    /// A store that grants nothing, with the memory limit and a deadline set.
    fn new_store(&self, runtime: &Runtime) -> Store<CallState> {
        let limits = runtime.limits();
        let mut store = Store::new(runtime.engine(), CallState::new(self.name.clone(), limits));
        store.limiter(|state| state.limiter());
        // Check in at every epoch tick: trap once the deadline has passed,
        // otherwise yield so that a long computation shares its thread.
        let deadline = Instant::now() + limits.timeout;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Yield(1)
            })
        });
        store
    }

    /// Awaits a call under the wall-clock limit, which also stops a call that
    /// is blocked in a host import, and names whatever went wrong.
    async fn finish<T>(
        &self,
        runtime: &Runtime,
        run: impl Future<Output = wasmtime::Result<T>>,
    ) -> Result<T, CallError> {
        let limits = runtime.limits();
        let timeout = || CallError::Timeout {
            plugin: self.name.clone(),
            limit: limits.timeout,
        };
        match tokio::time::timeout(limits.timeout, run).await {
            Err(_elapsed) => Err(timeout()),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(match error.downcast_ref::<Trap>() {
                Some(Trap::Interrupt) => timeout(),
                _ if is_memory_limit(&error) => CallError::Memory {
                    plugin: self.name.clone(),
                    limit: limits.memory,
                },
                _ => CallError::Trap {
                    plugin: self.name.clone(),
                    reason: format!("{error:#}"),
                },
            }),
        }
    }
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

/// `StoreLimits` with `trap_on_grow_failure` fails a grow past the limit
/// with this message rather than a `Trap` code.
fn is_memory_limit(error: &wasmtime::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .to_string()
            .contains("forcing trap when growing memory")
    })
}
