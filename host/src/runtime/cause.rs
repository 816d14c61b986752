//! Why a run failed, found in wasmtime's error: a limit of ours (carried
//! as the error's cause), the resource table's "full", wasmtime's copy
//! limit, or a trap; without the wasm backtrace that hides the cause.

use wasmtime::component::ResourceTableError;
use wasmtime::{PoolConcurrencyLimitError, Trap, WasmBacktrace};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi_http::FieldMapError;

use super::error::Exceeded;
use crate::sandbox::limits::{HTTP_FIELDS_BYTES, Limits};

/// The host-side limit `error` names: one the host stopped the call with,
/// the resource table's own "full" (any host function that creates a
/// handle fails with it past `limits.max_handles`), or a header set over
/// [`HTTP_FIELDS_BYTES`].
pub(super) fn exceeded(error: &wasmtime::Error, limits: &Limits) -> Option<Exceeded> {
    error.chain().find_map(|cause| {
        if let Some(exceeded) = cause.downcast_ref::<Exceeded>() {
            return Some(exceeded.clone());
        }
        if let Some(FieldMapError::TotalSizeTooBig | FieldMapError::TooManyFields) =
            cause.downcast_ref::<FieldMapError>()
        {
            return Some(Exceeded::HttpFields(HTTP_FIELDS_BYTES));
        }
        match cause.downcast_ref::<ResourceTableError>() {
            Some(ResourceTableError::Full) => Some(Exceeded::Handles(limits.host.max_handles)),
            _ => None,
        }
    })
}

/// How much wasmtime copies out of a plugin in one step (its default
/// hostcall fuel); past it the step fails.
pub(super) const HOSTCALL_FUEL: usize = 128 << 20;

/// wasmtime refused to copy more out of the plugin (its error type is
/// private, so its message is matched).
pub(super) fn copied_too_much(error: &wasmtime::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .to_string()
            .contains("fuel allocated for hostcalls has been exhausted")
    })
}

/// The error arose while the plugin's code was on the stack (a host call),
/// rather than after it returned (copying its result out).
pub(super) fn in_guest(error: &wasmtime::Error) -> bool {
    error.downcast_ref::<WasmBacktrace>().is_some()
}

/// The trap's own words, without wasmtime's backtrace.
pub(super) fn trap_reason(error: &wasmtime::Error) -> String {
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
        None if let Some(I32Exit(status)) = error.downcast_ref() => {
            format!("it exited (`wasi:cli/exit`) with status {status}")
        }
        // A host function failed: its own words, without the backtrace
        // wasmtime wraps them in.
        None => {
            let backtrace = error
                .downcast_ref::<WasmBacktrace>()
                .map(ToString::to_string);
            let causes: Vec<String> = error
                .chain()
                .map(ToString::to_string)
                .filter(|cause| Some(cause) != backtrace.as_ref())
                .collect();
            match causes.is_empty() {
                true => format!("{error}"),
                false => format!("a host call failed: {}", causes.join(": ")),
            }
        }
    }
}

/// Why instantiation failed, in words an operator can act on: a full pool
/// names `--max-instances`, whose slots every plugin's calls and spares
/// share.
pub(super) fn not_started(error: &wasmtime::Error) -> String {
    match error
        .chain()
        .find_map(|cause| cause.downcast_ref::<PoolConcurrencyLimitError>())
    {
        Some(full) => format!(
            "{full}: every instance slot of moat's is taken by calls in progress and \
             their plugins' spares (`moat serve --max-instances`); try again once calls end"
        ),
        None => format!("{error:#}"),
    }
}

/// Instantiation failed: the pool is full, or the component's start-up
/// (its initial memory, its start functions) broke a limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct NotStarted(pub(super) String);
