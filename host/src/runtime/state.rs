//! The state one call's `Store` holds.

use std::sync::Arc;

use tokio::time::Instant;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use super::limiter::Limiter;
use super::open_files::OpenFiles;
use crate::clients::ClientLink;
use crate::sandbox::limits::{CAPTURED_OUTPUT, HTTP_FIELDS_BYTES};
use crate::sandbox::output::Captured;
use crate::sandbox::{HttpHooks, Sandbox};

/// Everything a plugin instance can reach during one call: a view per
/// capability, each built from the plugin's [`Sandbox`].
pub struct CallState {
    pub(super) plugin: Arc<str>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: HttpHooks,
    table: ResourceTable,
    limits: Limiter,
    open_files: OpenFiles,
    pub(super) log_message: usize,
    stdout: Captured,
    stderr: Captured,
    pub(super) client: ClientLink,
    deadline: Instant,
}

impl CallState {
    /// A state for one instance of `plugin`, granted what `sandbox` grants,
    /// whose calls stop at `deadline`. It answers no client until
    /// [`Self::begin`].
    pub fn new(plugin: Arc<str>, sandbox: &Sandbox, deadline: Instant) -> wasmtime::Result<Self> {
        let stdout = Captured::new(CAPTURED_OUTPUT);
        let stderr = Captured::new(CAPTURED_OUTPUT);
        let limits = sandbox.limits();
        // Every host-side object of the call is a handle in this table.
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.host.max_handles);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(HTTP_FIELDS_BYTES);
        Ok(Self {
            plugin,
            wasi: sandbox.wasi(&stdout, &stderr)?,
            http,
            hooks: HttpHooks::new(sandbox.network().clone()),
            table,
            limits: Limiter::new(limits.memory, limits.host.table_elements),
            open_files: OpenFiles::new(limits.host.max_open_files),
            log_message: limits.log_message,
            stdout,
            stderr,
            client: ClientLink::default(),
            deadline,
        })
    }

    /// Starts a request: the instance answers `client`, and stops at `deadline`.
    pub fn begin(&mut self, client: ClientLink, deadline: Instant) {
        self.client = client;
        self.deadline = deadline;
    }

    /// When the running call is stopped.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The client this call answers.
    pub fn client(&self) -> &ClientLink {
        &self.client
    }

    /// The resource limiter wasmtime consults when memory or tables grow.
    pub fn limiter(&mut self) -> &mut dyn wasmtime::ResourceLimiter {
        &mut self.limits
    }

    /// The call's open-file count, and the table it is taken from.
    pub(super) fn open_files(&mut self) -> (&mut OpenFiles, &ResourceTable) {
        (&mut self.open_files, &self.table)
    }

    /// Sends what the plugin printed to the host's log, and returns the
    /// tail of its stderr (where a Rust panic message lands) for errors.
    pub fn flush_output(&self) -> Option<String> {
        let plugin = &*self.plugin;
        for (stream, captured) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let (text, dropped) = captured.take();
            for line in text.lines().filter(|line| !line.trim().is_empty()) {
                tracing::info!(plugin, stream, "{line}");
            }
            if dropped > 0 {
                tracing::warn!(plugin, stream, "dropped {dropped} more bytes of output");
            }
            if stream == "stderr" {
                return stderr_tail(&text);
            }
        }
        None
    }
}

/// The last lines of stderr that say something, without Rust's backtrace hint.
fn stderr_tail(text: &str) -> Option<String> {
    const MAX: usize = 500;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" ");
    if tail.is_empty() {
        return None;
    }
    let cut = tail.floor_char_boundary(tail.len().saturating_sub(MAX));
    Some(tail[cut..].to_owned())
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
