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
//!
//! Host-side resources (issue 12): what a call makes the host hold outside
//! the plugin's own memory.
//!
//! | limit | default | the attack it stops |
//! | --- | --- | --- |
//! | [`HostLimits::max_handles`] | 256 per call | a plugin that creates resources (`wasi:http` fields, streams, pollables, descriptors) without bound, each held in host memory |
//! | [`HostLimits::max_open_files`] | 64 per call | a plugin that opens files until the host has no descriptors left for other plugins and its own sockets |
//! | [`HostLimits::table_elements`] | 100,000 per call | a component whose tables (summed) take host memory the memory limit does not count |
//! | [`HTTP_FIELDS_BYTES`] | 32 KiB per `fields` | one `wasi:http` header set holding megabytes of host memory |
//! | [`HTTP_BODY_CHUNK`] | 64 KiB per outgoing body | one outgoing body buffering megabytes in the host |
//! | [`HOST_RESERVED_FILES`] | a quarter of the descriptor limit, at least 256 | every plugin's calls together taking the descriptors the host needs (its clients, its logs, its sockets) |
//!
//! **Host bytes per call.** Every host-side object a call creates lives in
//! its resource table, so [`HostLimits::max_handles`] bounds their number,
//! and the largest ones are bounded each: a `fields` by [`HTTP_FIELDS_BYTES`],
//! an outgoing body by two chunks of [`HTTP_BODY_CHUNK`] (the one being
//! written and one queued). The bytes one call can hold host-side are thus
//! at most `max_handles × 128 KiB` (32 MiB at the default), plus the
//! `CAPTURED_OUTPUT` of stdout and stderr, and what wasmtime copies for one
//! host call (bounded by its hostcall fuel, 128 MiB, freed when the call
//! returns).

use std::time::Duration;

/// How often the engine's epoch advances. A running call notices its
/// deadline (and yields to other tasks) at most one tick late.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The most concurrent instances the engine keeps slots for, across all
/// plugins. The pooling allocator reserves address space for this many up
/// front, so it bounds memory however many requests arrive at once; a call
/// beyond it fails with a tool error instead of exhausting the host.
/// `moat serve --max-instances N` lowers it (not raises it), for hosts
/// whose address space is capped.
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
    /// What a call may make the host hold (issue 12).
    pub host: HostLimits,
}

/// What one call may make the host hold outside the plugin's memory: see
/// the table at the top of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostLimits {
    /// Most resource handles (`wasi:http` fields and bodies, streams,
    /// pollables, descriptors, sockets...) a call may hold at once: each is
    /// an object in host memory. Manifest key `limits.max_handles`, default
    /// 256; a Rust std plugin uses a dozen, and a few per open file or HTTP
    /// request. Past it, the call ends with a tool error naming the limit.
    pub max_handles: usize,
    /// Most files and directories a call may hold open at once (through
    /// `wasi:filesystem`), each an OS descriptor. Manifest key
    /// `limits.max_open_files`, default 64. Past it, the call ends with a
    /// tool error naming the limit.
    pub max_open_files: usize,
    /// Most table elements a call's instance may hold, summed over its
    /// tables (like [`Limits::memory`] for memories). Fixed at 100,000: a
    /// Rust plugin's function table holds a few thousand.
    pub table_elements: usize,
}

/// The most bytes one `wasi:http/types.fields` (a header set) may hold, in
/// wasmtime's in-memory measure. Adding past it fails in the plugin with the
/// spec's `header-error.size-exceeded`. wasmtime's default is 128 KiB; HTTP
/// servers limit headers to 8-16 KiB on the wire.
pub const HTTP_FIELDS_BYTES: usize = 32 << 10;

/// The chunk an outgoing `wasi:http` body buffers in the host before it is
/// sent; one more may wait in its queue. wasmtime's default is 1 MiB.
pub const HTTP_BODY_CHUNK: usize = 64 << 10;

/// The ceiling a manifest may set for `limits.max_handles`.
pub const MAX_HANDLES: usize = 10_000;

/// The ceiling a manifest may set for `limits.max_open_files`.
pub const MAX_OPEN_FILES: usize = 1_000;

/// Descriptors kept for the host itself, out of its `RLIMIT_NOFILE`: every
/// plugin's open files together may use the rest, no more. A quarter of the
/// limit, and at least this many.
pub const HOST_RESERVED_FILES: usize = 256;

impl Default for HostLimits {
    fn default() -> Self {
        Self {
            max_handles: 256,
            max_open_files: 64,
            table_elements: 100_000,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory: 64 << 20,
            timeout: Duration::from_secs(10),
            max_concurrency: 8,
            max_output: 1 << 20,
            log_message: 4 << 10,
            host: HostLimits::default(),
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
