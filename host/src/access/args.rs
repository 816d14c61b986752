//! The flags of `moat serve` for authorization and rate limits.

use std::path::PathBuf;

use clap::Args;

use super::rate::Rate;

/// `--policy`, `--rate-limit-identity`, `--rate-limit-tool`.
#[derive(Args, Debug, Clone, Default)]
pub struct AccessArgs {
    /// A Cedar policy file saying which identity may use which tools,
    /// resources and prompts (see docs/operators.md, "Authorization
    /// policy"). Deny by default: what no `permit` allows is hidden from
    /// the caller's lists and refused. A file that does not parse or fit
    /// the schema refuses to start; with --watch it is reloaded when it
    /// changes, and a bad new version keeps the previous one in force.
    /// [default: none, everything is allowed]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The most tool calls one identity may make, as COUNT/UNIT (`60/min`,
    /// `10/s`, `1000/h`; the burst is the count). Past it: 429 with
    /// Retry-After on HTTP, a tool error on stdio. [default: off]
    #[arg(long, value_name = "RATE")]
    pub rate_limit_identity: Option<Rate>,
    /// The most calls one identity may make to any one tool, as
    /// --rate-limit-identity. [default: off]
    #[arg(long, value_name = "RATE")]
    pub rate_limit_tool: Option<Rate>,
}
