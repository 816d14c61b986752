//! Why one run of a plugin did not return, as the library reports it.

use std::sync::Arc;
use std::time::Duration;

/// Why one call into a plugin did not return a result. The host turns each
/// of these into a tool result with `isError: true` and keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past its wall-clock limit and was stopped.
    #[error("plugin `{plugin}` was stopped: it ran past its time limit of {}", humanize(*limit))]
    Timeout {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The limit in force.
        limit: Duration,
    },
    /// The plugin tried to grow its memory past its limit.
    #[error("plugin `{plugin}` was stopped: it tried to use more than its memory limit of {} MiB", limit >> 20)]
    Memory {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// No instance could be started for the call.
    #[error("plugin `{plugin}` could not be started: {reason}")]
    NotStarted {
        /// The plugin's name.
        plugin: Arc<str>,
        /// Why, as wasmtime describes it.
        reason: String,
    },
    /// The plugin trapped (a panic, `unreachable`, a stack overflow, ...).
    #[error("plugin `{plugin}` crashed: {reason}")]
    Trap {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The trap, as wasmtime describes it.
        reason: String,
    },
    /// Every concurrency slot of the plugin stayed busy for the whole timeout.
    #[error("plugin `{plugin}` is busy: all {limit} of its concurrent-call slots stayed taken for {}; try again later", humanize(*waited))]
    Busy {
        /// The plugin's name.
        plugin: Arc<str>,
        /// Its `max_concurrency`.
        limit: u32,
        /// How long the call waited.
        waited: Duration,
    },
    /// The result was larger than the plugin's `max_output`.
    #[error(
        "plugin `{plugin}` returned {size} bytes, over its output limit of {limit} bytes; ask for less (a smaller range, a page, a summary)"
    )]
    Output {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The result's size in bytes.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The plugin returned something the host cannot pass on.
    #[error("plugin `{plugin}` returned an invalid result: {reason}")]
    BadResult {
        /// The plugin's name.
        plugin: Arc<str>,
        /// What is wrong with it.
        reason: String,
    },
    /// The plugin asked a stateless client questions it has not answered:
    /// the request ends with "input required", and runs again with the
    /// answers.
    #[error("plugin `{plugin}` needs the client's input")]
    InputRequired {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The questions and the answers so far.
        input: crate::clients::InputRequired,
    },
    /// The plugin asked the client for something it did not declare.
    #[error(
        "plugin `{plugin}` needs the client's `{capability}` capability, which this client did not declare"
    )]
    MissingCapability {
        /// The plugin's name.
        plugin: Arc<str>,
        /// e.g. `sampling`.
        capability: &'static str,
    },
}

fn humanize(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}
