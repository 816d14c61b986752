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
    /// The plugin tried to grow its memory past its limit (summed over its
    /// memories), or its start-up asked for more.
    #[error("plugin `{plugin}` was stopped: it tried to use more than its memory limit of {} MiB (summed over its memories; manifest key `limits.memory`)", limit >> 20)]
    Memory {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// The call ran into a limit on what it may make the host hold.
    #[error("plugin `{plugin}` was stopped: {exceeded}")]
    Limit {
        /// The plugin's name.
        plugin: Arc<str>,
        /// Which limit, and its value.
        exceeded: Exceeded,
    },
    /// The result was too large for the host to even copy it out of the
    /// plugin (wasmtime's hostcall fuel), far over the output limit.
    #[error(
        "plugin `{plugin}` returned more than {} MiB, over its output limit of {limit} bytes (manifest key `limits.max_output`); ask for less (a smaller range, a page, a summary)",
        copied >> 20
    )]
    OutputTooLarge {
        /// The plugin's name.
        plugin: Arc<str>,
        /// The most the host copies out of a plugin at once.
        copied: usize,
        /// The output limit in force.
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

impl CallError {
    /// The limit that stopped the call, by a short stable name (`timeout`,
    /// `memory`, `output`, `concurrency`, or an [`Exceeded`] kind); `None`
    /// when no limit did.
    pub fn limit(&self) -> Option<&'static str> {
        match self {
            Self::Timeout { .. } => Some("timeout"),
            Self::Memory { .. } => Some("memory"),
            Self::Limit { exceeded, .. } => Some(exceeded.kind()),
            Self::OutputTooLarge { .. } | Self::Output { .. } => Some("output"),
            Self::Busy { .. } => Some("concurrency"),
            Self::NotStarted { .. }
            | Self::Trap { .. }
            | Self::BadResult { .. }
            | Self::InputRequired { .. }
            | Self::MissingCapability { .. } => None,
        }
    }
}

fn humanize(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// A limit on what a call may make the host hold, with its value: the
/// error a host function or the limiter stops the call with, so that the
/// tool error names the limit rather than a wasm backtrace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    /// Linear memory, summed over the instance's memories.
    #[error("it tried to use more than its memory limit of {} MiB (summed over its memories; manifest key `limits.memory`)", .0 >> 20)]
    Memory(usize),
    /// Table elements, summed over the instance's tables.
    #[error(
        "it tried to hold more than {0} table elements (summed over its tables), the host's fixed limit"
    )]
    TableElements(usize),
    /// Resource handles held at once.
    #[error(
        "it tried to hold more than {0} resource handles at once (manifest key `limits.max_handles`): it creates host objects (HTTP headers or bodies, streams, files) without dropping them"
    )]
    Handles(usize),
    /// One `wasi:http` header set over the host's size for it.
    #[error("it tried to make the host hold a `wasi:http` header set of more than {} KiB, the host's fixed limit per header set", .0 >> 10)]
    HttpFields(usize),
    /// Files and directories held open at once by one call.
    #[error(
        "it tried to hold more than {0} files open at once (manifest key `limits.max_open_files`): close files when done with them"
    )]
    OpenFiles(usize),
    /// The host's budget of descriptors for all plugins' calls together.
    #[error(
        "the host's budget of {0} open files for all plugins together is used up by other calls; try again later"
    )]
    HostFiles(usize),
    /// `wasi:http` used by a plugin without a network grant.
    #[error("it called `{0}`, but HTTP is not granted to it (manifest key `capabilities.network`)")]
    HttpNotGranted(String),
}

impl Exceeded {
    /// The limit's short stable name, e.g. `handles`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::TableElements(_) => "table_elements",
            Self::Handles(_) => "handles",
            Self::HttpFields(_) => "http_fields",
            Self::OpenFiles(_) => "open_files",
            Self::HostFiles(_) => "host_files",
            Self::HttpNotGranted(_) => "network",
        }
    }
}
