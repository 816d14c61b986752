//! What a scan found, told: one warning per hit in the log, and the
//! messages of refusals, naming the plugin, the request, the rule ids and
//! the JSON Pointers, never the secret.

use std::fmt::Write as _;
use std::sync::Arc;

use moat_secrets::Finding;

use crate::runtime::CallError;
use crate::sandbox::manifest::{SecretsMode, SecretsSection};
use crate::sandbox::redactor::Redactor;

/// Most findings a refusal or a log line lists; the rest are counted.
const LISTED: usize = 8;

/// Longest JSON Pointer or URI shown, in bytes; a longer one is cut (its
/// keys are the client's or the plugin's, and may be long).
const POINTER: usize = 120;

/// How much of a URI is redacted before it is cut for a message: a secret
/// starting where it is shown and shorter than this is found whole.
const URI_SCANNED: usize = 4 << 10;

/// What a request is, for the messages: `the arguments of tool `echo``.
#[derive(Clone, Copy)]
pub(in crate::plugins) enum Request<'a> {
    /// A tool call.
    Tool(&'a str),
    /// A resource read.
    Read(&'a str),
    /// A prompt.
    Prompt(&'a str),
    /// A completion, of the argument named.
    Complete(&'a str),
}

impl Request<'_> {
    /// What it is (`tool`), its name as logged (a URI redacted, as it may
    /// hold the secret, and cut), and both for a message (`tool `echo``).
    fn fields(self) -> (&'static str, String, String) {
        match self {
            Self::Tool(name) => ("tool", name.into(), format!("tool `{name}`")),
            Self::Read(uri) => {
                let mut end = uri.len().min(URI_SCANNED);
                while !uri.is_char_boundary(end) {
                    end -= 1;
                }
                let uri = cut(&moat_secrets::redact(&uri[..end]));
                let shown = format!("resource {uri}");
                ("resource", uri, shown)
            }
            Self::Prompt(name) => ("prompt", name.into(), format!("prompt `{name}`")),
            Self::Complete(name) => (
                "completion",
                name.into(),
                format!("the completion of `{name}`"),
            ),
        }
    }
}

/// Logs `found` in a request's arguments and, under `refuse`, refuses it.
pub(super) fn incoming(
    plugin: &Arc<str>,
    request: Request<'_>,
    found: &[Finding],
    mode: SecretsMode,
) -> Result<(), CallError> {
    let (what, logged, name) = request.fields();
    let listed = list(found);
    tracing::warn!(
        plugin = &**plugin,
        what,
        name = logged,
        findings = listed,
        "the arguments of {name} carry what looks like a secret: {}",
        match mode {
            SecretsMode::Redact => "redacted (secrets.arguments = \"redact\")",
            _ => "refused, the plugin was not run (secrets.arguments = \"refuse\")",
        }
    );
    match mode {
        SecretsMode::Refuse => Err(CallError::NotStarted {
            plugin: plugin.clone(),
            reason: format!(
                "the arguments of {name} carry what looks like a secret ({listed}); its manifest refuses secrets in arguments (`secrets.arguments = \"refuse\"`), so it was not run. Pass a reference to the secret, not the secret"
            ),
        }),
        _ => Ok(()),
    }
}

/// Logs `found` in a plugin's answer and, under `refuse`, refuses it.
pub(super) fn outgoing(
    plugin: &Arc<str>,
    request: Request<'_>,
    found: &[Finding],
    mode: SecretsMode,
) -> Result<(), CallError> {
    let (what, logged, name) = request.fields();
    let listed = list(found);
    tracing::warn!(
        plugin = &**plugin,
        what,
        name = logged,
        findings = listed,
        "the answer of {name} carries what looks like a secret: {}",
        match mode {
            SecretsMode::Redact => "redacted (secrets.results = \"redact\")",
            _ => "refused (secrets.results = \"refuse\")",
        }
    );
    match mode {
        SecretsMode::Refuse => Err(CallError::BadResult {
            plugin: plugin.clone(),
            reason: format!(
                "the answer of {name} carries what looks like a secret ({listed}); its manifest refuses secrets in results (`secrets.results = \"refuse\"`), so it was withheld"
            ),
        }),
        _ => Ok(()),
    }
}

/// `` `aws-access-key` at /text, `jwt` at /auth `` for the first few
/// findings (each rule and place once), and how many more.
fn list(found: &[Finding]) -> String {
    let mut seen: Vec<(&str, &str, bool)> = Vec::new();
    for finding in found {
        let key = (finding.rule, finding.pointer.as_str(), finding.in_key);
        if !seen.contains(&key) {
            seen.push(key);
        }
    }
    let mut out = String::new();
    for (i, (rule, pointer, in_key)) in seen.iter().take(LISTED).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let place = match pointer.is_empty() {
            true => "the top".into(),
            false => cut(pointer),
        };
        let key = if *in_key { " (in a key)" } else { "" };
        let _ = write!(out, "`{rule}` at {place}{key}");
    }
    if seen.len() > LISTED {
        let _ = write!(out, " and {} more", seen.len() - LISTED);
    }
    out
}

/// `pointer`, cut to [`POINTER`] bytes on a character boundary, its
/// control characters escaped (its keys are the client's or the plugin's,
/// and a newline in one must not start a line of the log).
fn cut(pointer: &str) -> String {
    let mut end = pointer.len().min(POINTER);
    while !pointer.is_char_boundary(end) {
        end -= 1;
    }
    let mut shown: String = pointer[..end]
        .chars()
        .flat_map(|c| match c.is_control() {
            true => c.escape_default().collect::<Vec<_>>(),
            false => vec![c],
        })
        .collect();
    if end < pointer.len() {
        shown.push('…');
    }
    shown
}

/// Logs that a plugin's answer carried secrets it is granted (`names`),
/// which were redacted: the names only.
pub(super) fn exposed(plugin: &Arc<str>, request: Request<'_>, names: &[Arc<str>]) {
    let (what, logged, name) = request.fields();
    let names: Vec<&str> = names.iter().map(|n| &**n).collect();
    tracing::warn!(
        plugin = &**plugin,
        what,
        name = logged,
        secrets = names.join(", "),
        "the answer of {name} carried secrets the plugin is granted: redacted (capabilities.secrets)"
    );
}

/// A failed run's error as the client may read it: the secrets the plugin
/// is granted (`granted`) redacted and, under a `results` policy, its text
/// (a crash's last lines of stderr, an invalid result's reason) redacted
/// as the scanner does.
pub(in crate::plugins) fn failure(
    policy: SecretsSection,
    granted: Option<&Redactor>,
    error: CallError,
) -> CallError {
    if policy.results == SecretsMode::Off && granted.is_none() {
        return error;
    }
    let clean = |plugin: &Arc<str>, reason: String| {
        let mut reason = reason;
        if let Some(granted) = granted
            && granted.redact_string(&mut reason)
        {
            tracing::warn!(
                plugin = &**plugin,
                "the error of a run carried secrets the plugin is granted: redacted"
            );
        }
        if policy.results == SecretsMode::Off {
            return reason;
        }
        let redacted = moat_secrets::redact(&reason);
        if redacted != reason {
            tracing::warn!(
                plugin = &**plugin,
                "the error of a run carried what looks like a secret: redacted"
            );
        }
        redacted.into_owned()
    };
    match error {
        CallError::Trap { plugin, reason } => CallError::Trap {
            reason: clean(&plugin, reason),
            plugin,
        },
        CallError::BadResult { plugin, reason } => CallError::BadResult {
            reason: clean(&plugin, reason),
            plugin,
        },
        CallError::NotStarted { plugin, reason } => CallError::NotStarted {
            reason: clean(&plugin, reason),
            plugin,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &'static str, pointer: &str) -> Finding {
        Finding {
            rule,
            pointer: pointer.into(),
            span: 0..1,
            in_key: false,
        }
    }

    #[test]
    fn a_list_names_each_rule_and_place_once_and_counts_the_rest() {
        let mut found = vec![
            finding("jwt", "/a"),
            finding("jwt", "/a"),
            finding("jwt", ""),
        ];
        assert_eq!(list(&found), "`jwt` at /a, `jwt` at the top");
        found.extend((0..10).map(|i| finding("aws-access-key", &format!("/{i}"))));
        let listed = list(&found);
        assert!(
            listed.ends_with("`aws-access-key` at /5 and 4 more"),
            "{listed}"
        );
        let mut key = finding("github-token", "/[REDACTED:github-token]");
        key.in_key = true;
        assert_eq!(
            list(&[key]),
            "`github-token` at /[REDACTED:github-token] (in a key)"
        );
    }

    #[test]
    fn a_pointer_is_cut_and_cannot_break_a_log_line() {
        assert_eq!(cut("/a\nb/\u{1b}[31m"), "/a\\nb/\\u{1b}[31m");
        let long = format!("/{}", "é".repeat(100));
        let shown = cut(&long);
        assert!(shown.ends_with('…') && shown.len() <= POINTER + '…'.len_utf8());
    }
}
