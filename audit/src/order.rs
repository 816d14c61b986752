//! Judging each line in turn: is it where its `seq` and `prev` say it
//! belongs?

use std::collections::{BTreeSet, HashMap};

use super::chain::{GENESIS, Head};
use super::verify::{Report, WINDOW, What};

/// A line as read: its number, hash and chained fields.
pub(crate) struct Line {
    pub number: u64,
    pub hash: String,
    pub head: Result<Head, String>,
    pub terminated: bool,
}

/// The line judged last.
struct Before {
    number: u64,
    hash: String,
    seq: Option<u64>,
    /// A problem was named there: a bad `prev` after it is explained.
    flagged: bool,
    /// It was found ahead of its place.
    early: bool,
}

/// What the lines judged so far say about the next.
#[derive(Default)]
pub(crate) struct Order {
    /// The `seq` due next.
    due: u64,
    /// `seq`s seen ahead of their place, not yet due.
    early: BTreeSet<u64>,
    before: Option<Before>,
}

impl Order {
    /// Judges `line`, given the `seq` of the line after it (`None` at the
    /// end, `Some(Err)` if it has none) and how many of the lines ahead
    /// have each `seq`.
    pub fn judge(
        &mut self,
        line: Line,
        next: Option<Result<u64, &String>>,
        is_last: bool,
        ahead: &HashMap<u64, u32>,
        report: &mut Report,
    ) {
        let number = Some(line.number);
        let mut flagged = false;
        let mut early = false;
        if is_last && !line.terminated {
            report.problem(number, What::Truncated);
            flagged = true;
        }
        let after = self.before.as_ref().and_then(|b| b.seq);
        let out_of_order = |seq| What::OutOfOrder { seq, after };
        let seq = match &line.head {
            Err(error) => {
                if !flagged {
                    report.problem(number, What::NotARecord(error.clone()));
                }
                flagged = true;
                // It stands for one record, whatever became of it.
                self.advance(self.due.saturating_add(1));
                None
            }
            Ok(head) => Some(head.seq),
        };
        if let Some(seq) = seq {
            let due = self.due;
            if seq == due {
                // Due here, but after a line that belongs later: the two
                // were swapped.
                if self.before.as_ref().is_some_and(|b| b.early) {
                    report.problem(number, out_of_order(seq));
                    flagged = true;
                }
                self.advance(seq.saturating_add(1));
            } else if seq < due {
                report.problem(number, out_of_order(seq));
                flagged = true;
            } else if next.is_none_or(|n| n == Ok(seq.saturating_add(1))) {
                // The lines after go on from here: the ones between were
                // removed, unless they are found elsewhere.
                if self.missing(due, seq, ahead) {
                    let what = What::Missing { expected: due, seq };
                    report.problem(number, what);
                    flagged = true;
                }
                self.advance(seq.saturating_add(1));
            } else {
                // Neither due nor followed by its successor: moved here.
                report.problem(number, out_of_order(seq));
                flagged = true;
                early = true;
                if self.early.len() < WINDOW {
                    self.early.insert(seq);
                }
            }
        }
        if let Ok(head) = &line.head {
            flagged |= self.check_prev(line.number, &head.prev, flagged, report);
        }
        self.before = Some(Before {
            number: line.number,
            hash: line.hash,
            seq,
            flagged,
            early,
        });
    }

    /// Whether any `seq` from `from` up to `to` (not included) is neither
    /// already seen ahead of its place nor among the lines ahead.
    fn missing(&self, from: u64, to: u64, ahead: &HashMap<u64, u32>) -> bool {
        let seen = self.early.range(from..to).count() as u64;
        let later = ahead.keys().filter(|s| (from..to).contains(*s)).count() as u64;
        to - from > seen + later
    }

    /// Makes `due` the next `seq` due, past any seen ahead of their place.
    fn advance(&mut self, due: u64) {
        self.due = due;
        while self.early.remove(&self.due) {
            self.due = self.due.saturating_add(1);
        }
        self.early = self.early.split_off(&self.due);
    }

    /// Checks `prev` of line `number` against the line before it. A
    /// mismatch names the line before as edited, unless a problem named
    /// there or here explains it; returns whether this line is now
    /// flagged.
    fn check_prev(&self, number: u64, prev: &str, flagged: bool, report: &mut Report) -> bool {
        match &self.before {
            None if prev != GENESIS && !flagged => {
                report.problem(Some(number), What::NotFirst);
                true
            }
            Some(before) if prev != before.hash && !before.flagged && !flagged => {
                report.problem(Some(before.number), What::Edited);
                false
            }
            _ => false,
        }
    }
}
