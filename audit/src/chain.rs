//! Writing the chain: the next line's `seq` and `prev`.

use std::io::{self, Read, Seek, SeekFrom};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The `prev` of a log's first line: no line came before it.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256:HEX` of `line`, its exact bytes without the newline.
pub fn hash(line: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(line))
}

/// Where the next line of a log goes in its chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    seq: u64,
    prev: String,
}

/// The fields every line has, in their order; the record's own fields go
/// between `kind` and `prev`.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    seq: u64,
    time: &'a str,
    kind: &'a str,
    #[serde(flatten)]
    fields: &'a T,
    prev: &'a str,
}

/// The chained fields of a line, as read back.
#[derive(Deserialize)]
pub(crate) struct Head {
    pub(crate) seq: u64,
    pub(crate) prev: String,
}

/// Why a log cannot be continued from its last line.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    /// The last line has no newline: cut short, e.g. by a crash while it
    /// was written.
    #[error("its last line is incomplete (no newline at its end)")]
    Unterminated,
    /// The last line is not a line of an audit log.
    #[error("its last line is not an audit record with `seq` and `prev`: {0}")]
    NotARecord(serde_json::Error),
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// The chain of an empty log: the first line is `seq` 0 after
    /// [`GENESIS`].
    pub fn new() -> Self {
        Self {
            seq: 0,
            prev: GENESIS.to_owned(),
        }
    }

    /// The chain continuing a log whose last line is `tail`.
    pub fn resume(tail: Tail) -> Result<Self, ResumeError> {
        match tail {
            Tail::Empty => Ok(Self::new()),
            Tail::Unterminated(_) => Err(ResumeError::Unterminated),
            Tail::Line(line) => {
                let head: Head = serde_json::from_slice(&line).map_err(ResumeError::NotARecord)?;
                Ok(Self {
                    seq: head.seq + 1,
                    prev: hash(&line),
                })
            }
        }
    }

    /// The `seq` the next line gets.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The hash of the last line written (or [`GENESIS`]).
    pub fn last_hash(&self) -> &str {
        &self.prev
    }

    /// Appends the next line, `kind` with `fields` (which serialize as a
    /// JSON object, e.g. a struct) at `time`, and its newline to `out`,
    /// and moves the chain past it. On an error nothing is appended and
    /// the chain is unchanged.
    pub fn append(
        &mut self,
        out: &mut Vec<u8>,
        time: SystemTime,
        kind: &str,
        fields: &impl Serialize,
    ) -> serde_json::Result<()> {
        let time = humantime::format_rfc3339_millis(time).to_string();
        let line = Line {
            seq: self.seq,
            time: &time,
            kind,
            fields,
            prev: &self.prev,
        };
        let start = out.len();
        if let Err(error) = serde_json::to_writer(&mut *out, &line) {
            out.truncate(start);
            return Err(error);
        }
        self.prev = hash(&out[start..]);
        self.seq += 1;
        out.push(b'\n');
        Ok(())
    }
}

/// The last line of a log.
#[derive(Debug, PartialEq, Eq)]
pub enum Tail {
    /// The log is empty.
    Empty,
    /// Its last line, complete, without the newline.
    Line(Vec<u8>),
    /// Bytes after the last newline: a line cut short.
    Unterminated(Vec<u8>),
}

/// Reads the last line of `file`, from its end backwards, so that resuming
/// a large log reads only its tail.
pub fn last_line(file: &mut (impl Read + Seek)) -> io::Result<Tail> {
    const CHUNK: u64 = 64 * 1024;
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(Tail::Empty);
    }
    // `tail` holds the bytes from `start` to the end.
    let mut tail = Vec::new();
    let mut start = len;
    loop {
        let from = start.saturating_sub(CHUNK);
        let mut chunk = vec![0; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        start = from;
        // The newline ending the last line does not count.
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        if let Some(newline) = body.iter().rposition(|&b| b == b'\n') {
            tail.drain(..=newline);
            break;
        }
        if start == 0 {
            break;
        }
    }
    Ok(match tail.pop() {
        Some(b'\n') => Tail::Line(tail),
        Some(last) => {
            tail.push(last);
            Tail::Unterminated(tail)
        }
        None => Tail::Empty,
    })
}
