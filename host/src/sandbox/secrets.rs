//! `[secrets]` in a plugin's manifest: whether what flows through the
//! plugin is scanned for secrets, and what happens to one. The scan itself
//! is `moat_secrets`; the host applies it in `plugins/secrets.rs`.

use serde::Deserialize;

/// `[secrets]`: what the plugin's requests may carry in and its answers
/// carry out, scanned with `moat_secrets`' rules (private keys, cloud and
/// API keys, tokens, high-entropy values beside key-like names).
///
/// Both default to `off`: a scan is heuristic, so on some plugins it will
/// flag what is not a secret (a high-entropy value under a `token` key, a
/// test fixture that is a key) and break them; the operator opts in per
/// plugin, knowing what the plugin handles. When off, nothing is scanned
/// and a call costs nothing more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsSection {
    /// What a request's arguments (a tool call's arguments, a prompt's
    /// arguments, a resource URI) may carry in. `refuse` stops a model
    /// from handing the plugin a secret it saw elsewhere (a key pasted in
    /// the chat, another tool's output) to carry off: the request is a tool
    /// error naming the rule ids and JSON Pointers, and the plugin never
    /// runs. `redact` passes `[REDACTED:<rule-id>]` in its place.
    #[serde(default)]
    pub arguments: SecretsMode,
    /// What a plugin's answers (tool results: text, structured content,
    /// embedded resources; resource contents; prompt messages) may carry
    /// out to the client and the model. Stops a plugin with file or network
    /// grants from leaking a key it read (`~/.ssh/id_rsa`, a `.env`, a cloud
    /// metadata token) into the model's context and on to wherever the
    /// model sends it. `redact` replaces each secret; `refuse` turns the
    /// answer into an error naming the rule ids.
    #[serde(default)]
    pub results: SecretsMode,
}

/// What happens to a secret found in what flows through a plugin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretsMode {
    /// Nothing is scanned (the default).
    #[default]
    Off,
    /// Each secret is replaced by `[REDACTED:<rule-id>]`; the rest passes.
    Redact,
    /// What holds a secret does not pass: the request is an error naming
    /// the rule ids and where, never the secret.
    Refuse,
}

impl SecretsMode {
    /// `off`, `redact` or `refuse`, as in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Redact => "redact",
            Self::Refuse => "refuse",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::manifest::Manifest;

    #[test]
    fn reads_the_secrets_policy_off_by_default() {
        let manifest = Manifest::parse("").unwrap();
        assert_eq!(manifest.secrets.arguments, SecretsMode::Off);
        assert_eq!(manifest.secrets.results, SecretsMode::Off);
        let manifest =
            Manifest::parse("[secrets]\narguments = \"refuse\"\nresults = \"redact\"\n").unwrap();
        assert_eq!(manifest.secrets.arguments, SecretsMode::Refuse);
        assert_eq!(manifest.secrets.results, SecretsMode::Redact);
        let error = Manifest::parse("[secrets]\nresults = \"block\"\n").unwrap_err();
        assert!(error.contains("unknown variant `block`"), "{error}");
        let error = Manifest::parse("[secrets]\nargs = \"off\"\n").unwrap_err();
        assert!(error.contains("unknown field `args`"), "{error}");
    }
}
