//! The definition lint at load (see the `moat-lint` crate for the rules):
//! each plugin's served definitions linted once when it loads, the
//! cross-plugin shadowing rule when the registry is built, the manifest's
//! `[lint]` accepts applied, and what is left logged, printed or, under
//! `--strict` or `[lint] strict = true`, refused.
//!
//! Below `plugins/`: it takes rmcp's types, never a plugin.

mod items;

pub use self::items::Definitions;
pub use moat_lint::{Code, Finding, OtherTool, Severity};

use moat_lint::{Item, Options};

use crate::sandbox::manifest::{LintAccept, LintSection};

/// One plugin's lint: its items, what they raise on their own, and what
/// its manifest's `[lint]` says. Built once, at load.
#[derive(Debug, Default)]
pub struct PluginLint {
    items: Vec<Item>,
    own: Vec<Finding>,
    accept: Vec<LintAccept>,
    strict: bool,
}

impl PluginLint {
    /// Lints `definitions` under the manifest's `section`.
    pub fn new(section: &LintSection, definitions: Definitions<'_>) -> Self {
        let items = items::items(definitions);
        let options = Options {
            max_description: section
                .max_description_chars
                .unwrap_or(moat_lint::DEFAULT_MAX_DESCRIPTION),
        };
        let own = moat_lint::lint(&items, &options);
        Self {
            items,
            own,
            accept: section.accept.clone(),
            strict: section.strict,
        }
    }

    /// Whether an error-severity finding refuses the plugin: `[lint]
    /// strict = true` in its manifest, or `moat serve --strict`.
    pub fn strict(&self) -> bool {
        self.strict
    }

    /// Refuses the plugin on any error-severity finding (`--strict`).
    pub fn make_strict(&mut self) {
        self.strict = true;
    }

    /// Every finding, its own and those naming `others` (the tools other
    /// plugins serve), with the manifest's accepts applied.
    pub fn review(&self, others: &[OtherTool]) -> Review {
        let mut all = self.own.clone();
        all.extend(moat_lint::shadowing(&self.items, others));
        let (accepted, findings): (Vec<Finding>, Vec<Finding>) = all
            .into_iter()
            .partition(|finding| self.accept.iter().any(|a| accepts(a, finding)));
        let stale = self
            .accept
            .iter()
            .filter(|a| !accepted.iter().any(|finding| accepts(a, finding)))
            .cloned()
            .collect();
        Review {
            findings,
            accepted,
            stale,
        }
    }
}

/// Whether `accept` names `finding`: the same code and item, and the same
/// place if it gives one.
fn accepts(accept: &LintAccept, finding: &Finding) -> bool {
    accept.code == finding.code
        && accept.item == finding.item_id()
        && accept
            .place
            .as_ref()
            .is_none_or(|place| *place == finding.place)
}

/// The most findings logged or printed for one plugin: a plugin cannot
/// flood the log by raising thousands (the count of the rest is given).
pub const SHOWN_FINDINGS: usize = 100;

/// The most error findings a refusal names.
pub const REFUSAL_NAMES: usize = 10;

/// What the lint says of one plugin, once accepts are applied.
#[derive(Debug, Default)]
pub struct Review {
    /// The findings not accepted.
    pub findings: Vec<Finding>,
    /// The findings the manifest accepts.
    pub accepted: Vec<Finding>,
    /// Accepts that match no finding (stale: the plugin changed, or a typo).
    pub stale: Vec<LintAccept>,
}

impl Review {
    /// The findings of severity error.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// Why a strict host refuses the plugin, if it does: each error's code,
    /// item and place (the first [`REFUSAL_NAMES`]).
    pub fn refusal(&self) -> Option<String> {
        let mut errors: Vec<String> = self
            .errors()
            .take(REFUSAL_NAMES)
            .map(|f| format!("{} at {} {}", f.code, f.item_id(), f.place))
            .collect();
        let more = self.errors().count().saturating_sub(REFUSAL_NAMES);
        if more > 0 {
            errors.push(format!("and {more} more"));
        }
        (!errors.is_empty()).then(|| errors.join(", "))
    }

    /// One line per finding (the first [`SHOWN_FINDINGS`], then how many
    /// more), then one per stale accept.
    pub fn lines(&self) -> Vec<String> {
        let more = self.findings.len().saturating_sub(SHOWN_FINDINGS);
        let more = (more > 0).then(|| format!("and {more} more findings"));
        let shown = self.findings.iter().take(SHOWN_FINDINGS);
        let findings = shown.map(ToString::to_string).chain(more);
        let stale = self.stale.iter().map(|a| {
            format!(
                "[lint] accept {{ code = \"{}\", item = \"{}\"{} }} matches no finding: remove it, or fix its code, item or place",
                a.code,
                a.item,
                a.place
                    .as_ref()
                    .map(|p| format!(", place = \"{p}\""))
                    .unwrap_or_default()
            )
        });
        findings.chain(stale).collect()
    }

    /// Logs each finding and stale accept of `plugin` as a warning, one line each.
    pub fn log(&self, plugin: &str) {
        for line in self.lines() {
            tracing::warn!("lint: plugin `{plugin}`: {line}");
        }
    }
}

#[cfg(test)]
mod tests;
