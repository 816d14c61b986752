//! The wasmtime engine and linker shared by every plugin.

use std::sync::Arc;
use std::thread;

use wasmtime::component::{HasSelf, Linker};
use wasmtime::error::Context as _;
use wasmtime::{
    Cache, CacheConfig, Config, Enabled, Engine, EngineWeak, InstanceAllocationStrategy,
    PoolingAllocationConfig,
};

use super::bindings::Server;
use super::state::CallState;
use crate::sandbox::limits::{self, EPOCH_TICK};

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
/// Cloning is cheap (the engine is reference-counted, the linker shared):
/// every HTTP request's handler holds a clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<CallState>>,
}

impl Runtime {
    /// Builds the engine, with room for [`limits::MAX_INSTANCES`] instances
    /// of up to [`limits::MAX_MEMORY`] each, compiling every plugin afresh.
    pub fn new() -> anyhow::Result<Self> {
        Self::build(CompileCache::Off)
    }

    /// Like [`Runtime::new`], keeping compiled plugins in `cache` so that a
    /// restart with unchanged plugins compiles nothing.
    ///
    /// The cache is wasmtime's: entries are keyed by a hash of the wasm bytes
    /// and of the engine's compilation settings and version, so a plugin that
    /// changed, or an entry from another wasmtime or another configuration,
    /// is never used; an entry that does not load is compiled again.
    pub fn with_cache(cache: CompileCache) -> anyhow::Result<Self> {
        Self::build(cache)
    }

    fn build(cache: CompileCache) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits::MAX_INSTANCES)
            .total_core_instances(limits::MAX_INSTANCES * limits::MAX_CORE_INSTANCES_PER_COMPONENT)
            .total_memories(limits::MAX_INSTANCES)
            .total_tables(limits::MAX_INSTANCES * 2)
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
        let engine = Engine::new(&config).context("cannot start the WebAssembly engine")?;
        spawn_epoch_ticker(engine.weak()).context("cannot start the epoch thread")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .context("cannot link WASI into the plugin linker")?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .context("cannot link WASI HTTP into the plugin linker")?;
        Server::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .context("cannot link the moat host interface")?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
        })
    }

    /// The engine every plugin is compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker that satisfies a plugin's imports: WASI, WASI HTTP (each
    /// backed by what the plugin's sandbox grants) and `moat:plugin/host`.
    pub fn linker(&self) -> &Linker<CallState> {
        &self.linker
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
