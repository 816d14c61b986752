//! The wasmtime engine and linker shared by every plugin.

use std::sync::Arc;
use std::thread;

use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::error::Context as _;
use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy,
    PoolingAllocationConfig,
};

use super::bindings::Server;
use super::state::CallState;
use super::{no_http, open_files};
use crate::sandbox::limits::{self, EPOCH_TICK};
use crate::sandbox::secret_store::SecretStore;

/// How much of each pooled memory and table stays mapped when its instance
/// is dropped. The pages an instance wrote are found with Linux's
/// `PAGEMAP_SCAN` and copied back from the component's initial image (or
/// zeroed) in place, up to this many bytes; past it, and on kernels without
/// `PAGEMAP_SCAN`, they are given back with `madvise`. Either way the next
/// instance in the slot sees only the initial image: nothing one call wrote
/// reaches the next. Resetting in place rather than unmapping saves the
/// `madvise`, the TLB shootdown it sends to every core, and a page fault per
/// page on the next call: 1.9x the requests/s of the default at 16 HTTP
/// connections (`docs/performance.md`).
const KEEP_RESIDENT: usize = 4 << 20;

/// One engine and one linker for the whole process.
///
/// The engine uses the pooling allocator (instantiation reuses pre-reserved
/// slots instead of mapping memory per call, and a slot is reset in place,
/// see [`KEEP_RESIDENT`]) and epoch interruption (a
/// background thread advances the epoch every [`EPOCH_TICK`], which is how a
/// call's deadline is enforced without instrumenting every instruction).
///
/// There are two linkers: one with `wasi:http`, for plugins granted the
/// network, and one without it, for the others (see [`Runtime::link`]).
///
/// Cloning is cheap (the engine is reference-counted, the linkers shared):
/// every HTTP request's handler holds a clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
    no_http: Arc<Linker<CallState>>,
    /// The operator's secret store (`--secrets`), where the secrets plugins
    /// are granted come from; without one, a plugin asking for a secret is
    /// refused.
    secrets: Option<Arc<SecretStore>>,
}

impl Runtime {
    /// The same runtime, reading granted secrets from `store`.
    pub fn with_secrets(self, store: Option<SecretStore>) -> Self {
        Self {
            secrets: store.map(Arc::new),
            ..self
        }
    }

    /// The operator's secret store, if any.
    pub fn secrets(&self) -> Option<&SecretStore> {
        self.secrets.as_deref()
    }

    /// Builds the engine, with room for [`limits::MAX_INSTANCES`] instances
    /// of up to [`limits::MAX_MEMORY`] each, compiling every plugin afresh.
    pub fn new() -> anyhow::Result<Self> {
        Self::build(CompileCache::Off, limits::MAX_INSTANCES)
    }

    /// Like [`Runtime::new`], keeping compiled plugins in `cache` so that a
    /// restart with unchanged plugins compiles nothing.
    ///
    /// The cache is wasmtime's: entries are keyed by a hash of the wasm bytes
    /// and of the engine's compilation settings and version, so a plugin that
    /// changed, or an entry from another wasmtime or another configuration,
    /// is never used; an entry that does not load is compiled again.
    pub fn with_cache(cache: CompileCache) -> anyhow::Result<Self> {
        Self::build(cache, limits::MAX_INSTANCES)
    }

    /// Like [`Runtime::with_cache`], with slots for only `instances`
    /// instances at once (`--max-instances`, at most
    /// [`limits::MAX_INSTANCES`]): less address space reserved, and fewer
    /// calls at once across all plugins.
    pub fn with_pool(cache: CompileCache, instances: u32) -> anyhow::Result<Self> {
        Self::build(cache, instances.clamp(1, limits::MAX_INSTANCES))
    }

    fn build(cache: CompileCache, instances: u32) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(instances)
            .total_core_instances(instances * limits::MAX_CORE_INSTANCES_PER_COMPONENT)
            .total_memories(instances)
            .total_tables(instances * 2)
            .max_memory_size(limits::MAX_MEMORY)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT)
            .pagemap_scan(Enabled::Auto);
        let mut config = Config::new();
        match cache {
            CompileCache::Off => {}
            CompileCache::Default => {
                config.cache(Some(
                    Cache::new(CacheConfig::new()).context("cannot use the compile cache")?,
                ));
            }
            CompileCache::In(dir) => {
                let mut settings = CacheConfig::new();
                settings.with_directory(&dir);
                let cache = Cache::new(settings).with_context(|| {
                    format!("cannot use the compile cache in {}", dir.display())
                })?;
                config.cache(Some(cache));
            }
        }
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).with_context(|| {
            format!(
                "cannot start the WebAssembly engine: it reserves address space for \
                 {instances} instances of {} GiB each; where address space is capped \
                 (`ulimit -v`, `vm.overcommit_memory = 2`), give fewer with \
                 `moat serve --max-instances N`",
                limits::MAX_MEMORY >> 30
            )
        })?;
        spawn_epoch_ticker(engine.weak()).context("cannot start the epoch thread")?;
        open_files::init_budget();

        let mut no_http = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut no_http)
            .context("cannot link WASI into the plugin linker")?;
        open_files::add_to_linker(&mut no_http)
            .context("cannot link the counted `open-at` into the plugin linker")?;
        Server::add_to_linker::<_, HasSelf<_>>(&mut no_http, |state| state)
            .context("cannot link the moat host interface")?;
        let mut linker = no_http.clone();
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .context("cannot link WASI HTTP into the plugin linker")?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            no_http: Arc::new(no_http),
            secrets: None,
        })
    }

    /// Links `component` for a plugin that is granted the network (`http`)
    /// or not. Without the grant, `wasi:http` is denied outright: its
    /// functions stop the call with "HTTP is not granted", so that a plugin
    /// cannot make the host hold headers or bodies it may never send.
    pub fn link(
        &self,
        component: &Component,
        http: bool,
    ) -> wasmtime::Result<InstancePre<CallState>> {
        if http {
            return self.linker.instantiate_pre(component);
        }
        match no_http::linker_for(&self.engine, &self.no_http, component)? {
            Some(linker) => linker.instantiate_pre(component),
            None => self.no_http.instantiate_pre(component),
        }
    }

    /// The engine every plugin is compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Where compiled plugins are kept between runs.
#[derive(Debug, Clone)]
pub enum CompileCache {
    /// Nowhere: compile at every start.
    Off,
    /// The user's cache directory (on Linux `~/.cache/wasmtime`).
    Default,
    /// This directory.
    In(std::path::PathBuf),
}

/// Advances the epoch every tick for as long as the engine lives.
fn spawn_epoch_ticker(engine: EngineWeak) -> std::io::Result<()> {
    thread::Builder::new()
        .name("moat-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}
