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

// ---------------------------------------------------------------------------
// Listing limits (issue 12, findings 4 and 5): what one plugin may list at
// load, and how long listing it may take. Separate from the per-call limits
// above, and checked once, when the plugin loads.
//
// | limit | manifest key | default | the attack it stops |
// | --- | --- | --- | --- |
// | [`ListingLimits::max_tools`] | `limits.max_tools` | 1000 | a plugin listing 100,000 tools that delays start-up and floods every client's `tools/list` |
// | [`ListingLimits::max_resources`] | `limits.max_resources` | 1000 | the same, with resources |
// | [`ListingLimits::max_templates`] | `limits.max_templates` | 100 | the same, with resource templates (each read is matched against every template) |
// | [`ListingLimits::max_prompts`] | `limits.max_prompts` | 1000 | the same, with prompts |
// | [`ListingLimits::max_description`] | `limits.max_description` | 16 KiB | a 10 MB description (or title, name, URI) that floods the model's context in every listing |
// | [`ListingLimits::max_schema`] | `limits.max_schema` | 64 KiB | a huge input or output schema, parsed and compiled at load and sent in every listing |
// | [`ListingLimits::max_listing`] | `limits.max_listing` | 4 MiB | many items each within the limits above that together make the host hold and serve megabytes |
// | [`ListingLimits::lift_budget`] | (from the above) | 8.2 MiB | a list whose strings all point at one buffer, which wasmtime would copy once per item before the host could count them |
// | [`ListingLimits::load_timeout`] | `limits.load_timeout` | 10 s | a plugin whose listing takes its whole call timeout (up to an hour) and holds up the host's start |
// ---------------------------------------------------------------------------

/// The highest count a manifest may set for `limits.max_tools`,
/// `max_resources`, `max_templates` or `max_prompts`.
pub const MAX_LISTED: usize = 10_000;

/// The highest `limits.max_description` or `limits.max_schema` a manifest
/// may set.
pub const MAX_ITEM_BYTES: usize = 1 << 20;

/// The highest `limits.max_listing` a manifest may set: the most bytes of
/// definitions the host holds for one plugin.
pub const MAX_LISTING: usize = 64 << 20;

/// The longest `limits.load_timeout` a manifest may set. A plugin that needs
/// longer to say what it serves holds up every start and reload.
pub const MAX_LOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// What one plugin may list when it loads, and how long listing may take. A
/// plugin over any of them is refused, with a message naming the limit and
/// its manifest key; the others load as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingLimits {
    /// Most tools the plugin may describe.
    pub max_tools: usize,
    /// Most resources the plugin may list.
    pub max_resources: usize,
    /// Most resource templates the plugin may list.
    pub max_templates: usize,
    /// Most prompts the plugin may list.
    pub max_prompts: usize,
    /// Longest text, in bytes, of one name, title, description or URI.
    pub max_description: usize,
    /// Longest JSON Schema, in bytes, of one tool's input or output.
    pub max_schema: usize,
    /// Most bytes of all the plugin's definitions together.
    pub max_listing: usize,
    /// Wall-clock time the plugin's listing (`describe` and the resource and
    /// prompt lists) may take at load, whatever its call timeout; the
    /// smaller of the two applies.
    pub load_timeout: Duration,
}

impl ListingLimits {
    /// The most bytes wasmtime may copy out of the plugin for one list it
    /// returns at load (its "hostcall fuel"): twice `max_listing` for the
    /// texts, and 256 bytes per item up to the largest count limit for the
    /// items themselves. Past it the listing fails before the host holds
    /// it, however the plugin's memory is laid out.
    pub fn lift_budget(&self) -> usize {
        let most = self
            .max_tools
            .max(self.max_resources)
            .max(self.max_templates)
            .max(self.max_prompts);
        2 * self.max_listing + LIFTED_ITEM * most
    }
}

/// The bytes [`ListingLimits::lift_budget`] allows for each listed item
/// beside its texts: at least the size of the largest item the host lifts.
pub const LIFTED_ITEM: usize = 256;

impl Default for ListingLimits {
    fn default() -> Self {
        Self {
            max_tools: 1000,
            max_resources: 1000,
            max_templates: 100,
            max_prompts: 1000,
            max_description: 16 << 10,
            max_schema: 64 << 10,
            max_listing: 4 << 20,
            load_timeout: Duration::from_secs(10),
        }
    }
}
