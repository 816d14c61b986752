//! Limits every plugin call runs under.
//!
//! Every limit is on by default; a plugin gets no more than these unless its
//! operator raises them (per-plugin manifests come later and may only tighten
//! or raise within the engine-wide ceilings below).
//!
//! | limit | default | the attack it stops |
//! | --- | --- | --- |
//! | [`Limits::memory`] | 64 MiB | a plugin that allocates without bound and takes the host's memory from every other plugin |
//! | [`Limits::timeout`] | 10 s | a plugin that loops forever and holds a core and a client's request |
//! | [`Limits::log_message`] | 4 KiB | a plugin that floods the host's log through `host.log` |

use std::time::Duration;

/// How often the engine's epoch advances. A running call notices its
/// deadline (and yields to other tasks) at most one tick late.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The most concurrent instances the engine keeps slots for. The pooling
/// allocator reserves address space for this many up front, so it bounds
/// memory use however many requests arrive at once; a call beyond it fails
/// with a tool error instead of exhausting the host.
pub const MAX_INSTANCES: u32 = 1000;

/// The most core instances a single component may hold. A Rust `wasm32-wasip2`
/// component has four or five (the program and the WASI adapter's shims).
pub const MAX_CORE_INSTANCES_PER_COMPONENT: u32 = 16;

/// The limits that apply to one call of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of linear memory the plugin's instance may hold, summed over
    /// its memories. Growing past it traps the call.
    pub memory: usize,
    /// Wall-clock time a call may take, including time blocked in host calls.
    pub timeout: Duration,
    /// Longest message, in bytes, that `host.log` passes on; longer ones are
    /// cut and marked as cut.
    pub log_message: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: 64 << 20,
            timeout: Duration::from_secs(10),
            log_message: 4 << 10,
        }
    }
}
