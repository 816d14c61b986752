//! Why a plugin was not loaded, as the library reports it.
//!
//! Each message already says what the OS, the compiler or the call said, so
//! that cause is a plain field, not a `source`: chained, `{:#}` printed it
//! twice (`cannot read the file: Is a directory (os error 21): Is a
//! directory (os error 21)`).

use std::path::PathBuf;
use std::time::Duration;

use crate::runtime::CallError;

/// Why a plugin file was not loaded. The file is skipped; every other plugin
/// keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {cause}", path.display())]
    Read {
        /// The plugin file.
        path: PathBuf,
        /// What the OS said.
        cause: std::io::Error,
    },
    /// The bytes are not a valid WebAssembly component for this engine.
    #[error("{}: not a valid WebAssembly component: {cause:#}", path.display())]
    Compile {
        /// The plugin file.
        path: PathBuf,
        /// What the compiler said.
        cause: anyhow::Error,
    },
    /// The component needs an import the host does not provide, or does not
    /// export `moat:plugin/tools@0.1.0`.
    #[error("{}: does not fit the moat:plugin@0.1.0 contract: {cause:#}", path.display())]
    Contract {
        /// The plugin file.
        path: PathBuf,
        /// What the linker said.
        cause: anyhow::Error,
    },
    /// A plain component exports a function that cannot be a tool (it
    /// takes or returns a resource, a `future`, a `stream`...).
    #[error("{}: cannot serve its exported functions as tools: {problem}", path.display())]
    Typed {
        /// The plugin file.
        path: PathBuf,
        /// Every function refused, and why.
        problem: String,
    },
    /// The component exports neither `moat:plugin`'s interfaces nor any
    /// plain function.
    #[error(
        "{}: serves nothing: a plugin exports moat:plugin's interfaces (tools, resources, prompts or completion @0.1.0, as the SDK does), or plain functions, at top level or in an exported interface, each of which becomes a tool; this component exports neither",
        path.display()
    )]
    NothingToServe {
        /// The plugin file.
        path: PathBuf,
    },
    /// The definition lint found errors in a plugin under `--strict` or
    /// `[lint] strict = true`.
    #[error(
        "{}: plugin `{plugin}` refused by the definition lint (strict): {findings}; see each finding in the log or `moat check`, then fix the plugin or accept the finding in its manifest's [lint] accept",
        path.display()
    )]
    Lint {
        /// The plugin file.
        path: PathBuf,
        /// The plugin's name.
        plugin: String,
        /// Each error finding's code, item and place.
        findings: String,
    },
    /// The manifest beside the plugin could not be read or parsed.
    #[error(transparent)]
    Manifest(#[from] crate::sandbox::manifest::ManifestError),
    /// The manifest parsed but a grant or limit in it is wrong.
    #[error("{}: {problem}", path.display())]
    Grant {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Calling `describe` failed.
    #[error("{}: listing its tools failed: {cause}", path.display())]
    Describe {
        /// The plugin file.
        path: PathBuf,
        /// How the call failed.
        cause: CallError,
    },
    /// Under `--locked`, the plugin's bytes or definitions differ from the lock.
    #[error(
        "{}: refused: it differs from what the lock {} approved: {}. If the change is approved, run `moat lock` again",
        path.display(), lock.display(), list_changes(changes)
    )]
    Unlocked {
        /// The plugin file.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// Every difference.
        changes: Vec<super::lock::change::Change>,
    },
    /// A tool's description breaks a rule of MCP or of the host.
    #[error("{}: tool `{tool}` {problem}", path.display())]
    BadTool {
        /// The plugin file.
        path: PathBuf,
        /// The tool's name as the plugin gave it.
        tool: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The plugin lists more, or larger, items than its listing limits
    /// allow (see `ListingLimits`).
    #[error(
        "{}: plugin `{plugin}` refused: {}, over its limit of {}; if that is intended, raise `limits.{}` in its manifest",
        path.display(), over.what, over.limit, over.key
    )]
    OverLimit {
        /// The plugin file.
        path: PathBuf,
        /// The plugin's name.
        plugin: String,
        /// What is over which limit.
        over: super::bounds::Over,
    },
    /// What the plugin lists is larger than wasmtime may copy out of it at
    /// load ([`ListingLimits::lift_budget`](crate::sandbox::limits::ListingLimits::lift_budget)),
    /// so it could not be counted item by item.
    #[error(
        "{}: plugin `{plugin}` refused: what it lists takes more than {budget} bytes, over its listing limits (at most {} tools, {} resources, {} resource templates, {} prompts, {} bytes per text, {} bytes per schema, {} bytes in all); if that is intended, raise the one it needs in its manifest: `limits.max_tools`, `limits.max_resources`, `limits.max_templates`, `limits.max_prompts`, `limits.max_description`, `limits.max_schema` or `limits.max_listing`",
        path.display(), limits.max_tools, limits.max_resources, limits.max_templates, limits.max_prompts,
        limits.max_description, limits.max_schema, limits.max_listing
    )]
    OverLiftBudget {
        /// The plugin file.
        path: PathBuf,
        /// The plugin's name.
        plugin: String,
        /// The bytes it could have sent.
        budget: usize,
        /// Its listing limits.
        limits: Box<crate::sandbox::limits::ListingLimits>,
    },
    /// Listing what the plugin serves took longer than its load budget.
    #[error(
        "{}: plugin `{plugin}` skipped: listing what it serves took longer than its load budget of {}; if that is intended, raise `limits.load_timeout` in its manifest (at most {} s)",
        path.display(), humanize(*limit), crate::sandbox::limits::MAX_LOAD_TIMEOUT.as_secs()
    )]
    LoadBudget {
        /// The plugin file.
        path: PathBuf,
        /// The plugin's name.
        plugin: String,
        /// The budget it ran out of.
        limit: Duration,
    },
}

/// `10 s`, or `500 ms`.
fn humanize(limit: Duration) -> String {
    if limit.subsec_millis() == 0 {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    }
}

/// The differences from a lock, as one sentence for the log.
fn list_changes(changes: &[super::lock::change::Change]) -> String {
    let parts: Vec<String> = changes.iter().map(ToString::to_string).collect();
    parts.join("; ")
}
