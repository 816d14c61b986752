//! The state one call's `Store` holds.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::moat::plugin::host::{self, Level};
use crate::bindings::moat::plugin::types;
use crate::limits::Limits;

/// Everything a plugin instance can reach during one call.
///
/// The WASI context is built empty: no preopened directories, no environment
/// variables, no arguments, stdin closed, stdout and stderr discarded, and
/// every socket address denied. Every WASI interface is still linked, so a
/// component that imports them instantiates; it simply finds nothing there.
pub struct CallState {
    plugin: Arc<str>,
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    log_message: usize,
}

impl CallState {
    /// A state for one call of `plugin`, granted nothing beyond `limits`.
    pub fn new(plugin: Arc<str>, limits: &Limits) -> Self {
        Self {
            plugin,
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory)
                .trap_on_grow_failure(true)
                .build(),
            log_message: limits.log_message,
        }
    }

    /// The resource limiter wasmtime consults when memory or tables grow.
    pub fn limiter(&mut self) -> &mut dyn wasmtime::ResourceLimiter {
        &mut self.limits
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The shared types interface has no functions.
impl types::Host for CallState {}

impl host::Host for CallState {
    fn log(&mut self, level: Level, mut message: String) -> wasmtime::Result<()> {
        if message.len() > self.log_message {
            let cut = message.floor_char_boundary(self.log_message);
            message.truncate(cut);
            message.push_str(" [cut]");
        }
        let plugin = &*self.plugin;
        match level {
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info | Level::Notice => tracing::info!(plugin, "{message}"),
            Level::Warning => tracing::warn!(plugin, "{message}"),
            Level::Error | Level::Critical | Level::Alert | Level::Emergency => {
                tracing::error!(plugin, "{message}")
            }
        }
        Ok(())
    }
}
