//! Checking a log: every line in its place, unchanged.

use std::fmt;
use std::io::{self, BufRead};

use super::chain::{GENESIS, Head, hash};

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
    /// to `seq`.
    Missing {
        /// The `seq` the line should have had.
        expected: u64,
        /// The `seq` it has.
        seq: u64,
    },
    /// The line is out of order: its `seq` is not the one due here, and
    /// the one due here is further on (or was already seen).
    OutOfOrder {
        /// The `seq` the line should have had.
        expected: u64,
        /// The `seq` it has.
        seq: u64,
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
            Self::OutOfOrder { expected, seq } => {
                write!(f, "out of order: seq {seq} where seq {expected} was due")
            }
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
    /// Each problem, in line order.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The lines named by problems.
    pub fn lines_named(&self) -> Vec<u64> {
        self.problems.iter().filter_map(|p| p.line).collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        let state = match self.problems.len() {
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

/// One line as read: its number, bytes, and `seq` if it parsed.
struct Seen {
    number: u64,
    hash: String,
    /// Whether a problem was already named here (a bad `prev` at the next
    /// line is then explained by it).
    flagged: bool,
}

impl Verify {
    /// Verifies the log read from `log`.
    pub fn run(&self, mut log: impl BufRead) -> io::Result<Report> {
        let mut lines = Vec::new();
        let mut buf = Vec::new();
        let mut report = Report::default();
        let mut last_terminated = true;
        let mut anchor_found = false;
        while log.read_until(b'\n', &mut buf)? > 0 {
            last_terminated = buf.last() == Some(&b'\n');
            if last_terminated {
                buf.pop();
            }
            let line_hash = hash(&buf);
            anchor_found |= self.anchor.as_deref() == Some(&line_hash);
            lines.push((std::mem::take(&mut buf), line_hash));
        }
        report.lines = lines.len() as u64;
        report.last_hash = lines
            .last()
            .map_or_else(|| GENESIS.to_owned(), |(_, h)| h.clone());
        let heads: Vec<Result<Head, String>> = lines
            .iter()
            .map(|(bytes, _)| serde_json::from_slice::<Head>(bytes).map_err(|e| e.to_string()))
            .collect();
        let mut expected = 0u64;
        let mut previous: Option<Seen> = None;
        for (index, ((_, line_hash), head)) in lines.iter().zip(&heads).enumerate() {
            let number = index as u64 + 1;
            let mut seen = Seen {
                number,
                hash: line_hash.clone(),
                flagged: false,
            };
            let is_last = index + 1 == lines.len();
            if is_last && !last_terminated {
                report.problem(number, What::Truncated);
                seen.flagged = true;
            }
            match head {
                Err(error) => {
                    if !seen.flagged {
                        report.problem(number, What::NotARecord(error.clone()));
                    }
                    seen.flagged = true;
                    // It stands for one record, whatever became of it.
                    expected += 1;
                }
                Ok(head) => {
                    if head.seq != expected {
                        let due_later = heads[index + 1..]
                            .iter()
                            .any(|h| matches!(h, Ok(h) if h.seq == expected));
                        let what = if head.seq < expected || due_later {
                            What::OutOfOrder {
                                expected,
                                seq: head.seq,
                            }
                        } else {
                            What::Missing {
                                expected,
                                seq: head.seq,
                            }
                        };
                        report.problem(number, what);
                        seen.flagged = true;
                    }
                    expected = expected.max(head.seq.saturating_add(1));
                    check_prev(&mut report, previous.as_ref(), &mut seen, &head.prev);
                }
            }
            previous = Some(seen);
        }
        if let Some(anchor) = &self.anchor
            && !anchor_found
        {
            report.problems.push(Problem {
                line: None,
                what: What::AnchorMissing(anchor.clone()),
            });
        }
        report.problems.sort_by_key(|p| p.line.unwrap_or(u64::MAX));
        Ok(report)
    }
}

/// Checks the `prev` of `seen` against the line before it. A mismatch
/// names the line before as edited, unless a problem already named there
/// or here explains it.
fn check_prev(report: &mut Report, before: Option<&Seen>, seen: &mut Seen, prev: &str) {
    match before {
        None if prev != GENESIS && !seen.flagged => {
            report.problem(seen.number, What::NotFirst);
            seen.flagged = true;
        }
        Some(before) if prev != before.hash && !before.flagged && !seen.flagged => {
            report.problem(before.number, What::Edited);
        }
        _ => {}
    }
}

impl Report {
    fn problem(&mut self, line: u64, what: What) {
        self.problems.push(Problem {
            line: Some(line),
            what,
        });
    }
}
