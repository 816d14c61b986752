//! Limits every plugin call runs under.
//!
//! Every limit is on by default; a plugin's manifest may set its own within
//! the engine-wide ceilings below. The defaults, and the attack each stops:
//!
//! | limit | default | the attack it stops |
//! | --- | --- | --- |
//! | [`Limits::memory`] | 64 MiB | a plugin that allocates without bound and takes the host's memory from every other plugin |
//! | [`Limits::timeout`] | 10 s | a plugin that loops forever, or blocks forever in a host call, and holds a core and a client's request |
//! | [`Limits::max_concurrency`] | 8 | a flood of calls to one plugin that takes every instance slot (and `8 × memory` of RAM) from the others |
//! | [`Limits::max_output`] | 1 MiB | a result so large it exhausts the host's memory while it is encoded, or floods the model's context |
//! | [`Limits::log_message`] | 4 KiB | a plugin that floods the host's log through `host.log` |
//! | [`CAPTURED_OUTPUT`] | 64 KiB per stream | a plugin that prints megabytes to stdout or stderr, which the host keeps for its log |

use std::time::Duration;

/// How often the engine's epoch advances. A running call notices its
/// deadline (and yields to other tasks) at most one tick late.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The most concurrent instances the engine keeps slots for, across all
/// plugins. The pooling allocator reserves address space for this many up
/// front, so it bounds memory however many requests arrive at once; a call
/// beyond it fails with a tool error instead of exhausting the host.
pub const MAX_INSTANCES: u32 = 1000;

/// The most core instances a single component may hold. A Rust `wasm32-wasip2`
/// component has four or five (the program and the WASI adapter's shims).
pub const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// The highest memory limit a manifest may set: each pooled memory slot
/// reserves this much address space.
pub const MAX_MEMORY: usize = 4 << 30;

/// The longest timeout a manifest may set. A call that needs longer is a
/// job, not a tool call.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// How much of a call's stdout, and of its stderr, the host keeps for its log.
/// Past it, output is counted and dropped; the plugin is not told, so a
/// chatty plugin does not fail.
pub const CAPTURED_OUTPUT: usize = 64 << 10;

/// The limits that apply to each call of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of linear memory the plugin's instance may hold, summed over
    /// its memories. Growing past it stops the call.
    pub memory: usize,
    /// Wall-clock time a call may take, including time blocked in host calls
    /// and time spent waiting for a concurrency slot.
    pub timeout: Duration,
    /// Calls of this plugin that may run at once; more wait their turn.
    pub max_concurrency: u32,
    /// Most bytes a call's result may hold (text, data and structured JSON).
    pub max_output: usize,
    /// Longest message, in bytes, that `host.log` passes on; longer ones are
    /// cut and marked as cut.
    pub log_message: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: 64 << 20,
            timeout: Duration::from_secs(10),
            max_concurrency: 8,
            max_output: 1 << 20,
            log_message: 4 << 10,
        }
    }
}
