//! Checking a log: every line in its place, unchanged. The log is read
//! once, front to back, holding a window of the lines ahead (their hashes
//! and `seq`s, not their text), so that a log of any length is verified in
//! bounded memory.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{self, BufRead};

use super::chain::{GENESIS, Head, hash};
use super::order::{Line, Order};

/// How many lines ahead verify looks to tell a line moved from its place
/// (found further on) from lines removed. A line moved further than this
/// is reported as missing where it was and out of order where it is.
pub const WINDOW: usize = 65_536;

/// How many problems a report keeps; the rest are only counted, so that
/// verifying a file that is not a log at all stays bounded too.
pub const MAX_PROBLEMS: usize = 1000;

/// What is wrong at a line of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// The line is not a JSON object with a numeric `seq` and a string
    /// `prev` (or not UTF-8).
    NotARecord(String),
    /// The line has no newline: the file was cut in the middle of it, or
    /// the host stopped while writing it.
    Truncated,
    /// The line's bytes changed after the next line was written: the next
    /// line's `prev` is not its hash.
    Edited,
    /// The first line's `prev` is not [`GENESIS`]: lines before it were
    /// removed, or its `prev` was edited.
    NotFirst,
    /// Lines are missing just before this one: `seq` jumps from `expected`
    /// to `seq`, and the lines between are nowhere near.
    Missing {
        /// The `seq` the line should have had.
        expected: u64,
        /// The `seq` it has.
        seq: u64,
    },
    /// The line is not in its place: it belongs elsewhere in the log, or
    /// it comes after a line that belongs later.
    OutOfOrder {
        /// The line's `seq`.
        seq: u64,
        /// The `seq` of the line before it, if that one has one.
        after: Option<u64>,
    },
    /// No line has the hash the operator kept ([`Verify::anchor`]): the
    /// log was cut off before it, or that line was edited.
    AnchorMissing(String),
}

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotARecord(error) => write!(f, "not an audit record ({error})"),
            Self::Truncated => write!(f, "truncated: the last line has no newline"),
            Self::Edited => write!(
                f,
                "edited: the next line's `prev` does not match this line's hash"
            ),
            Self::NotFirst => write!(
                f,
                "the first line's `prev` is not the genesis hash: lines before it were removed, or it was edited"
            ),
            Self::Missing { expected, seq } if seq - expected == 1 => {
                write!(f, "a line is missing before this one (seq {expected})")
            }
            Self::Missing { expected, seq } => write!(
                f,
                "{} lines are missing before this one (seq {expected} to {})",
                seq - expected,
                seq - 1
            ),
            Self::OutOfOrder {
                seq,
                after: Some(after),
            } => write!(f, "out of order: seq {seq} after seq {after}"),
            Self::OutOfOrder { seq, after: None } => write!(f, "out of order: seq {seq}"),
            Self::AnchorMissing(anchor) => write!(
                f,
                "no line has the hash {anchor}: the log was cut off before that line, or it was edited"
            ),
        }
    }
}

/// A problem, at a line (counted from 1) or, for
/// [`What::AnchorMissing`], in the whole log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line, counted from 1.
    pub line: Option<u64>,
    /// What is wrong there.
    pub what: What,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.what),
            None => write!(f, "{}", self.what),
        }
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// How many lines the log has.
    pub lines: u64,
    /// The hash of its last line ([`GENESIS`] when empty), for the
    /// operator to keep: the next verify can be given it as an anchor.
    pub last_hash: String,
    /// The problems, in line order, up to [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// How many more problems there were.
    pub omitted: u64,
}

impl Report {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty() && self.omitted == 0
    }

    /// The lines named by problems.
    pub fn lines_named(&self) -> Vec<u64> {
        self.problems.iter().filter_map(|p| p.line).collect()
    }

    /// Notes `what` at `line`.
    pub(crate) fn problem(&mut self, line: Option<u64>, what: What) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem { line, what });
        } else {
            self.omitted += 1;
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        if self.omitted > 0 {
            writeln!(f, "… and {} more problems", self.omitted)?;
        }
        let state = match self.problems.len() as u64 + self.omitted {
            0 => "chain intact".to_owned(),
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        };
        writeln!(f, "{} lines, {state}", self.lines)?;
        writeln!(f, "last hash {}", self.last_hash)
    }
}

/// How to verify: with an anchor or not.
#[derive(Clone, Debug, Default)]
pub struct Verify {
    /// A hash printed by an earlier verify (the last line's then); the
    /// line it names must still be in the log, which detects lines cut
    /// off the end since.
    pub anchor: Option<String>,
}

/// Verifies the log read from `log` with no anchor.
pub fn verify(log: impl BufRead) -> io::Result<Report> {
    Verify::default().run(log)
}

/// The lines read but not yet judged, and how many of them have each `seq`.
#[derive(Default)]
struct Ahead {
    lines: VecDeque<Line>,
    seqs: HashMap<u64, u32>,
}

impl Ahead {
    fn push(&mut self, line: Line) {
        if let Ok(head) = &line.head {
            *self.seqs.entry(head.seq).or_default() += 1;
        }
        self.lines.push_back(line);
    }

    fn pop(&mut self) -> Option<Line> {
        let line = self.lines.pop_front()?;
        if let Ok(head) = &line.head
            && let Some(count) = self.seqs.get_mut(&head.seq)
        {
            *count -= 1;
            if *count == 0 {
                self.seqs.remove(&head.seq);
            }
        }
        Some(line)
    }
}

impl Verify {
    /// Verifies the log read from `log`.
    pub fn run(&self, mut log: impl BufRead) -> io::Result<Report> {
        let mut report = Report {
            last_hash: GENESIS.to_owned(),
            ..Report::default()
        };
        let mut order = Order::default();
        let mut ahead = Ahead::default();
        let mut anchor_found = false;
        let mut buf = Vec::new();
        loop {
            while ahead.lines.len() <= WINDOW {
                buf.clear();
                if log.read_until(b'\n', &mut buf)? == 0 {
                    break;
                }
                report.lines += 1;
                let terminated = buf.last() == Some(&b'\n');
                if terminated {
                    buf.pop();
                }
                let line = Line {
                    number: report.lines,
                    hash: hash(&buf),
                    head: serde_json::from_slice::<Head>(&buf).map_err(|e| e.to_string()),
                    terminated,
                };
                anchor_found |= self.anchor.as_deref() == Some(&line.hash);
                ahead.push(line);
            }
            let Some(line) = ahead.pop() else { break };
            report.last_hash.clone_from(&line.hash);
            let next = ahead.lines.front().map(|l| l.head.as_ref().map(|h| h.seq));
            let is_last = ahead.lines.is_empty();
            order.judge(line, next, is_last, &ahead.seqs, &mut report);
        }
        if let Some(anchor) = &self.anchor
            && !anchor_found
        {
            report.problem(None, What::AnchorMissing(anchor.clone()));
        }
        report.problems.sort_by_key(|p| p.line.unwrap_or(u64::MAX));
        Ok(report)
    }
}
