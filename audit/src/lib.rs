//! moat's audit log: one JSON object per line, each carrying the SHA-256 of
//! the line before it, so that an edited, removed or reordered line breaks
//! the chain where it happened. Pure: it formats and verifies lines; the
//! host decides when to write them.
//!
//! # The line
//!
//! Keys come in a fixed order: `seq` (0, 1, 2, … across the whole file),
//! `time` (RFC 3339, UTC, milliseconds), `kind` (`request`, or the event:
//! `start`, `load`, `reload`, `remove`, `refuse`, `lock`, `dropped`,
//! `lost`), then the record's own fields, then `prev`.
//!
//! # The chain
//!
//! `prev` is `sha256:HEX` of the previous line's exact bytes, without its
//! newline; the first line's is [`GENESIS`] (64 zeros). A line carries no
//! hash of itself: it would add nothing, since whoever can rewrite a line
//! can rewrite its own hash too; what an editor cannot fix without
//! rewriting every later line is the next line's `prev`. The hash of the
//! last line is what [`verify`] prints, for the operator to keep elsewhere:
//! cutting lines off the end leaves a chain that is intact but shorter,
//! which only that kept hash reveals ([`Verify::anchor`]).

mod chain;
mod order;
mod verify;

#[cfg(test)]
mod tests;

pub use chain::{Chain, GENESIS, ResumeError, Tail, hash, last_line};
pub use verify::{MAX_PROBLEMS, Problem, Report, Verify, WINDOW, What, verify};
