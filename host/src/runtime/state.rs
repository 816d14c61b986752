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
use crate::sandbox::redactor::Redactor;
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
    /// The redactor of the plugin's granted secrets: what it prints and
    /// logs passes through it.
    pub(super) redactor: Option<Arc<Redactor>>,
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
            redactor: sandbox.redactor().cloned(),
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
    /// what its stderr says about a crash (see [`stderr_tail`]) for errors;
    /// the secrets it is granted redacted from both.
    pub fn flush_output(&self) -> Option<String> {
        let plugin = &*self.plugin;
        for (stream, captured) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let (mut text, dropped) = captured.take();
            if let Some(redactor) = &self.redactor {
                redactor.redact_string(&mut text);
            }
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

/// The most of a headline [`stderr_tail`] keeps: its start, where the
/// exception's type and message are.
const HEADLINE: usize = 300;
/// The most of the last lines [`stderr_tail`] keeps: their end.
const TAIL: usize = 300;

/// Markers of a line that names an error: `Error: boom` (JavaScript),
/// `ValueError: boom` and `Exception: boom` (Python), and the QuickJS
/// runtime's `Exception { message: Some("boom"), stack: … }`.
const HEADLINE_MARKERS: [&str; 3] = ["Error:", "Exception:", "Exception {"];

/// What stderr says about a crash, for the error the client gets: the
/// first line that names an error (its first [`HEADLINE`] bytes), then the
/// last three lines after it (their last [`TAIL`] bytes), so at most about
/// 600 bytes. Without such a line, the last three lines (their last 500
/// bytes), where a Rust panic message lands. Blank lines and Rust's
/// backtrace hint are left out.
///
/// The headline is kept because a JavaScript exception prints its message
/// first and its stack after it: the last lines alone are stack frames.
fn stderr_tail(text: &str) -> Option<String> {
    const MAX: usize = 500;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    let headline = lines
        .iter()
        .position(|line| HEADLINE_MARKERS.iter().any(|marker| line.contains(marker)));
    let Some(at) = headline else {
        return (!lines.is_empty()).then(|| last_bytes(&last_lines(&lines), MAX).to_owned());
    };
    let head = lines[at];
    let head = &head[..head.floor_char_boundary(HEADLINE)];
    let after = &lines[at + 1..];
    if after.is_empty() {
        return Some(head.to_owned());
    }
    let tail = last_lines(after);
    Some(format!("{head} … {}", last_bytes(&tail, TAIL)))
}

/// The last three of `lines`, joined by spaces.
fn last_lines(lines: &[&str]) -> String {
    lines[lines.len().saturating_sub(3)..].join(" ")
}

/// The last `max` bytes of `text`, cut at a character boundary.
fn last_bytes(text: &str, max: usize) -> &str {
    &text[text.floor_char_boundary(text.len().saturating_sub(max))..]
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

#[cfg(test)]
mod tests {
    use super::stderr_tail;

    #[test]
    fn a_rust_panic_keeps_its_last_lines() {
        let stderr = "thread '<unnamed>' panicked at src/lib.rs:3:5:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            stderr_tail(stderr).unwrap(),
            "thread '<unnamed>' panicked at src/lib.rs:3:5: boom"
        );
    }

    #[test]
    fn a_javascript_message_survives_a_long_stack() {
        let frames = "    at deep (app.js:84:32)\n".repeat(40);
        let stderr = format!("Error: the sky fell\n{frames}    at call (app.js:67:21)\n");
        let tail = stderr_tail(&stderr).unwrap();
        assert!(tail.starts_with("Error: the sky fell … at deep"), "{tail}");
        assert!(tail.ends_with("at call (app.js:67:21)"), "{tail}");
        assert!(tail.len() <= 300 + 300 + " … ".len(), "{}", tail.len());
    }

    #[test]
    fn a_quickjs_exception_keeps_its_message_before_its_stack() {
        let stack = "    at deep (/app.js:84:32)\\n".repeat(40);
        let stderr = format!(
            "thread '<unnamed>' (1) panicked at crates/runtime/src/interpreter.rs:51:31:\nFailed to call 'call': Exception(Exception {{ message: Some(\"the sky fell\"), stack: Some(\"{stack}\") }})\n"
        );
        let tail = stderr_tail(&stderr).unwrap();
        assert!(
            tail.starts_with(
                "Failed to call 'call': Exception(Exception { message: Some(\"the sky fell\")"
            ),
            "{tail}"
        );
        assert!(tail.len() <= 300, "{}", tail.len());
    }

    #[test]
    fn a_python_traceback_keeps_the_exception_and_what_followed() {
        let stderr = "Traceback (most recent call last):\n  File \"/0/app.py\", line 73, in call\nValueError: the sky fell\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1280:25:\nPython function threw an unexpected exception\n";
        assert_eq!(
            stderr_tail(stderr).unwrap(),
            "ValueError: the sky fell … thread '<unnamed>' (1) panicked at runtime/src/lib.rs:1280:25: Python function threw an unexpected exception"
        );
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        let stderr = format!("Error: {}\n{}\n", "é".repeat(400), "ü".repeat(400));
        let tail = stderr_tail(&stderr).unwrap();
        assert!(tail.starts_with("Error: é"), "{tail}");
        assert!(tail.ends_with('ü'), "{tail}");
        assert_eq!(stderr_tail(" \n\n"), None);
    }
}
