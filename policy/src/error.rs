//! [`PolicyError`]: why a policy file was refused, each problem with the
//! line and column it is at and Cedar's own message.

use std::fmt;

use miette::Diagnostic;

/// A policy file that cannot be used: it does not parse, or it does not
/// fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The name the file was given (its path).
    pub source_name: String,
    /// Every problem found, in the order Cedar reports them.
    pub problems: Vec<Problem>,
}

/// One problem in a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where it is, 1-based (`None` when Cedar names no place).
    pub position: Option<(usize, usize)>,
    /// What is wrong, in Cedar's words (and its suggestion, if any).
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match problem.position {
                Some((line, column)) => write!(f, "{}:{line}:{column}: ", self.source_name)?,
                None => write!(f, "{}: ", self.source_name)?,
            }
            write!(f, "{}", problem.message)?;
        }
        Ok(())
    }
}

impl Problem {
    /// A problem Cedar reported, placed at its first label in `text`.
    pub(crate) fn of(diagnostic: &(impl Diagnostic + fmt::Display), text: &str) -> Self {
        let offset = diagnostic
            .labels()
            .and_then(|mut labels| labels.next())
            .map(|label| label.offset());
        let mut message = diagnostic.to_string();
        if let Some(help) = diagnostic.help() {
            message.push_str(&format!(" ({help})"));
        }
        Self {
            position: offset.map(|offset| position(text, offset)),
            message,
        }
    }

    /// A problem of moat's own at byte `offset` of `text`.
    pub(crate) fn at(text: &str, offset: Option<usize>, message: String) -> Self {
        Self {
            position: offset.map(|offset| position(text, offset)),
            message,
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The source text a diagnostic's first label covers.
pub(crate) fn labelled<'t>(diagnostic: &impl Diagnostic, text: &'t str) -> Option<&'t str> {
    let label = diagnostic.labels()?.next()?;
    text.get(label.offset()..label.offset() + label.len())
}
