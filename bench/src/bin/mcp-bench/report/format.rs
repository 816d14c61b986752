//! How the report writes figures: cells, ratios and markdown tables.

use std::time::Duration;

/// The median, fastest and slowest of a server's launches.
pub struct Launches {
    /// The median launch.
    pub median: Duration,
    /// The fastest.
    pub min: Duration,
    /// The slowest.
    pub max: Duration,
}

impl Launches {
    /// The launches of `times`, none if `None`.
    pub fn of(times: Option<&Vec<Duration>>) -> Self {
        let mut times = times.cloned().unwrap_or_default();
        times.sort_unstable();
        let at = |i: usize| times.get(i).copied().unwrap_or_default();
        Self {
            median: at((times.len().max(1) - 1) / 2),
            min: at(0),
            max: at(times.len().saturating_sub(1)),
        }
    }

    /// The median, minimum and maximum in milliseconds.
    pub fn cells(&self) -> [String; 3] {
        [ms(self.median), ms(self.min), ms(self.max)]
    }

    /// The ratios of the median, minimum and maximum to `other`'s.
    pub fn ratios(&self, other: &Self) -> [String; 3] {
        let ratio = |f: fn(&Self) -> Duration| ratio(f(self).as_secs_f64(), f(other).as_secs_f64());
        [ratio(|l| l.median), ratio(|l| l.min), ratio(|l| l.max)]
    }
}

/// A row of label cells followed by figure cells.
pub fn row<const N: usize>(labels: &[&str], figures: [String; N]) -> Vec<String> {
    labels
        .iter()
        .map(|label| label.to_string())
        .chain(figures)
        .collect()
}

/// One line on a target: the figure, the target and whether it is met.
pub fn target(what: &str, value: f64, goal: &str, met: bool) -> String {
    let verdict = if met { "met" } else { "missed" };
    format!("{what}: {value:.2} (target {goal}): **{verdict}**")
}

/// `value ÷ base` with two decimals.
pub fn ratio(value: f64, base: f64) -> String {
    if base > 0.0 {
        format!("{:.2}", value / base)
    } else {
        "n/a".to_owned()
    }
}

/// A duration in microseconds, with one decimal.
pub fn micros(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

/// A duration in milliseconds, with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1e3)
}

/// A markdown table, its columns padded to line up: the first `labels`
/// columns left-aligned, the figures after them right-aligned.
pub fn table(out: &mut String, headers: &[&str], labels: usize, rows: &[Vec<String>]) {
    let width = |column: usize| {
        rows.iter()
            .map(|row| row[column].chars().count())
            .chain([headers[column].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(width).collect();
    let line = |cells: Vec<String>| {
        let cells: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| match i < labels {
                true => format!("{cell:<w$}"),
                false => format!("{cell:>w$}"),
            })
            .collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&line(headers.iter().map(|h| h.to_string()).collect()));
    let rule = widths
        .iter()
        .enumerate()
        .map(|(i, &w)| match i < labels {
            true => "-".repeat(w),
            false => format!("{}:", "-".repeat(w.saturating_sub(1))),
        })
        .collect();
    out.push_str(&line(rule));
    for row in rows {
        out.push_str(&line(row.clone()));
    }
    out.push('\n');
}

/// An optional duration in microseconds, `n/a` if unknown.
pub fn micros_or_na(duration: Option<Duration>) -> String {
    duration.map_or("n/a".into(), micros)
}

/// `value ÷ base` for durations that may be unknown (`n/a`).
pub fn duration_ratio(value: Option<Duration>, base: Option<Duration>) -> String {
    match (value, base) {
        (Some(value), Some(base)) => ratio(value.as_secs_f64(), base.as_secs_f64()),
        _ => "n/a".into(),
    }
}
