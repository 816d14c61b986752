//! The audit log (`serve --audit FILE`): one hash-chained JSON line per
//! request that reaches a plugin and per load, reload, removal, refusal and
//! lock change, in the format of [`moat_audit`]. Lines are queued on the
//! request path and written by a thread of their own, so that a slow or
//! full disk never holds a call up; see [`writer`] for the bounds.

mod record;
mod writer;

#[cfg(test)]
mod tests;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use moat_audit::{Chain, last_line};

use self::record::{Fields, Record};
use self::writer::Queue;
use super::{Call, Event, Outcome, Sink};

pub use record::MAX_FIELD;
pub use writer::{MAX_QUEUED, MAX_QUEUED_BYTES};

/// The flags of the audit log.
#[derive(Args, Debug, Default)]
pub struct AuditArgs {
    /// Append a hash-chained JSON line per request that reaches a plugin,
    /// and per load, reload, removal, refusal and lock change, to FILE
    /// (created with mode 0600, or continued); check it with
    /// `moat audit verify FILE` [default: no audit log].
    #[arg(long, value_name = "FILE")]
    pub audit: Option<PathBuf>,
    /// Write each request's argument values into the audit log too,
    /// redacted [default: only their SHA-256].
    #[arg(long, requires = "audit")]
    pub audit_arguments: bool,
}

impl AuditArgs {
    /// The audit log asked for, opened; `None` without `--audit`.
    pub fn open(&self) -> anyhow::Result<Option<AuditLog>> {
        self.audit
            .as_deref()
            .map(|path| AuditLog::open(path, self.audit_arguments))
            .transpose()
    }
}

/// The audit log: a [`Sink`] that queues a line per observation.
pub struct AuditLog {
    queue: Queue,
    arguments: bool,
}

impl AuditLog {
    /// Opens `path` to append to (creating it, mode 0600), locks it,
    /// continues its chain from its last line, and writes a `start`
    /// record. Refuses a file another process holds locked, or whose last
    /// line is broken, rather than start a chain that `moat audit verify`
    /// would then report as broken for good.
    pub fn open(path: &Path, arguments: bool) -> anyhow::Result<Self> {
        let mut file = open(path)
            .with_context(|| format!("cannot open the audit log {} (--audit)", path.display()))?;
        // One writer per log: a second host appending to it would break
        // its chain for good.
        file.try_lock().map_err(|_| {
            anyhow::anyhow!(
                "the audit log {} is being written by another process (it holds the file's lock); give each moat a log of its own",
                path.display()
            )
        })?;
        let tail = last_line(&mut file)
            .with_context(|| format!("cannot read the audit log {}", path.display()))?;
        let chain = Chain::resume(tail).with_context(|| {
            format!(
                "the audit log {} cannot be continued; `moat audit verify {}` shows what is wrong, and moving the file away starts a new log",
                path.display(),
                path.display()
            )
        })?;
        let queue = Queue::start(path.to_owned(), file, chain)
            .context("cannot start the audit log's writer")?;
        let start = Fields::Start {
            version: env!("CARGO_PKG_VERSION"),
            pid: std::process::id(),
        };
        queue.push(Record::now("start", start));
        Ok(Self { queue, arguments })
    }

    /// Writes every line queued so far and syncs the file, waiting a
    /// bounded time: at the end of `serve`.
    pub fn flush(&self) {
        self.queue.flush();
    }
}

/// Opens `path` for appending only (`O_APPEND`: every write lands at the
/// end, whatever else has the file open), readable to find its last line,
/// and created owner-only: the log names clients, sessions and tools.
fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
}

impl Sink for AuditLog {
    fn wants_details(&self) -> bool {
        true
    }

    fn wants_arguments(&self) -> bool {
        self.arguments
    }

    fn call(&self, call: &Call, outcome: &Outcome) {
        self.queue
            .push(Record::request(call, outcome, self.arguments));
    }

    fn event(&self, event: &Event<'_>) {
        self.queue.push(Record::event(event));
    }
}
