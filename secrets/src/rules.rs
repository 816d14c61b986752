//! The rules: what each finds, as a pattern for the `regex` crate (linear
//! time, no look-around). Learnt from gitleaks, trufflehog and
//! detect-secrets; written for this crate.
//!
//! Two kinds: a [`Rule`] is a pattern that finds a secret on its own (a
//! prefix such as `ghp_` or `AKIA` says what it is); a [`Named`] rule finds
//! a value only beside a name, `name = value`, `name: value`,
//! `"name": "value"` in text, or an object member `{"name": "value"}` in
//! JSON, and checks the value. The order of the tables is their priority
//! when two rules find the same secret.

use super::entropy::looks_random;

/// A rule that finds a secret by its own shape.
#[derive(Debug)]
pub struct Rule {
    /// The stable id, shown in findings and in `[REDACTED:<id>]`.
    pub id: &'static str,
    /// What it finds, for operators.
    pub matches: &'static str,
    /// The pattern.
    pub(crate) pattern: &'static str,
    /// The capture group that holds the secret (0: the whole match).
    pub(crate) group: usize,
    /// A further check of the secret, where the pattern alone finds too much.
    pub(crate) check: Option<fn(&str) -> bool>,
}

/// A rule that finds a value beside a name.
#[derive(Debug)]
pub struct Named {
    /// The stable id, shown in findings and in `[REDACTED:<id>]`.
    pub id: &'static str,
    /// What it finds, for operators.
    pub matches: &'static str,
    /// The name, case-insensitive: a key or a `name=` must end with it
    /// (optionally plus `s`).
    pub(crate) name: &'static str,
    /// A prefix of the name that makes it not count (`page` in
    /// `page_token`), or empty.
    pub(crate) unless: &'static str,
    /// The value's shape, in text; a JSON string must match it whole.
    pub(crate) value: &'static str,
    /// The check the value must pass.
    pub(crate) check: fn(&str) -> bool,
}

/// A PEM armour line's label before `PRIVATE KEY`: `RSA `, `EC `,
/// `OPENSSH `, `ENCRYPTED `, `DSA `, `PGP ` (`... PRIVATE KEY BLOCK`).
macro_rules! pem {
    ($edge:literal) => {
        concat!(
            "-----",
            $edge,
            "[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        )
    };
}

/// The rules that find a secret by its shape, in priority order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "private-key",
        matches: "a PEM private key, every flavour (PKCS#1 RSA, PKCS#8, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK): the BEGIN line, the body and the END line, or everything up to where the body stops if the END line is missing",
        // The body may not hold `--` (a dash must be followed by a letter
        // or digit, as in `Proc-Type` and `AES-128-CBC`), so the match
        // stops at `-----END`, and a search never runs past the key.
        pattern: concat!(
            pem!("BEGIN"),
            r"(?:[A-Za-z0-9+/=\s:,.\\]|-[A-Za-z0-9])*(?:",
            pem!("END"),
            ")?"
        ),
        group: 0,
        check: None,
    },
    Rule {
        id: "aws-access-key",
        matches: "an AWS access key id: `AKIA` (long-term), `ASIA` (temporary), `ABIA`, `ACCA` or `A3T.` and 16 characters of A-Z and 2-7",
        pattern: r"(?-u:\b)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?-u:\b)",
        group: 0,
        check: None,
    },
    Rule {
        id: "gcp-api-key",
        matches: "a Google Cloud API key: `AIza` and 35 characters",
        pattern: r"(?-u:\b)AIza[0-9A-Za-z_-]{35}",
        group: 0,
        check: None,
    },
    Rule {
        id: "github-token",
        matches: "a GitHub token: `ghp_` (personal), `gho_` (OAuth), `ghu_` (user-to-server), `ghs_` (server-to-server), `ghr_` (refresh) and 36 or more letters and digits, or `github_pat_` (fine-grained) and 22 or more",
        pattern: r"(?-u:\b)(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
        group: 0,
        check: None,
    },
    Rule {
        id: "gitlab-token",
        matches: "a GitLab personal, project or group access token: `glpat-` and 20 or more characters",
        pattern: r"(?-u:\b)glpat-[A-Za-z0-9_-]{20,}",
        group: 0,
        check: None,
    },
    Rule {
        id: "slack-token",
        matches: "a Slack token (`xoxb-` bot, `xoxa-`, `xoxp-` user, `xoxr-` refresh, `xoxo-`, `xoxs-`) or an incoming-webhook URL (`https://hooks.slack.com/services/...`)",
        pattern: r"(?-u:\b)(?:xox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9_/]{20,})",
        group: 0,
        check: None,
    },
    Rule {
        id: "stripe-key",
        matches: "a Stripe secret or restricted key, live or test: `sk_live_`, `rk_live_`, `sk_test_`, `rk_test_` and 16 or more letters and digits",
        pattern: r"(?-u:\b)[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
        group: 0,
        check: None,
    },
    Rule {
        id: "anthropic-key",
        matches: "an Anthropic API key: `sk-ant-` and 20 or more characters",
        pattern: r"(?-u:\b)sk-ant-[A-Za-z0-9_-]{20,}",
        group: 0,
        check: None,
    },
    Rule {
        id: "openai-key",
        matches: "an OpenAI-style API key: `sk-` (or `sk-proj-`, `sk-svcacct-`, `sk-admin-`) and 32 or more characters that mix upper and lower case and digits with high entropy (so that `sk-learn-...` prose is not one)",
        pattern: r"(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}",
        group: 0,
        check: Some(openai_tail),
    },
    Rule {
        id: "npm-token",
        matches: "an npm access token: `npm_` and 36 letters and digits",
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
        group: 0,
        check: None,
    },
    Rule {
        id: "pypi-token",
        matches: "a PyPI API token: `pypi-AgEIcHlwaS5vcmc` (the macaroon for pypi.org) and 50 or more characters",
        pattern: r"(?-u:\b)pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        group: 0,
        check: None,
    },
    Rule {
        id: "jwt",
        matches: "a JSON Web Token: three base64url parts, the first two starting `eyJ` (a JSON object), as in an OAuth access or ID token",
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        group: 0,
        check: None,
    },
    Rule {
        id: "bearer-token",
        matches: "`Bearer <token>` anywhere, when the token has 16 or more characters mixing letters and digits (an `Authorization` header's credential, any length of 8 or more, is the named rule of the same id)",
        pattern: r"(?i)(?-u:\b)bearer[ \t]+([A-Za-z0-9._~+/-]{16,}=*)",
        group: 1,
        check: Some(letters_and_digits),
    },
    Rule {
        id: "url-password",
        matches: "the password of a URL with credentials, `scheme://user:PASSWORD@host`",
        pattern: r#"(?i)(?-u:\b)[a-z][a-z0-9+.-]*://[^\s:/?#@"'<>\[\]]+:([^\s:/?#@"'<>\[\]]+)@"#,
        group: 1,
        check: None,
    },
];

/// The key-like names beside which a high-entropy value is a secret: a
/// key or `name=` must end with one (case-insensitive, optionally plus
/// `s`): `db_password`, `clientSecret`, `x-api-key`, `access_token`,
/// `AWS_SESSION_TOKEN`. Bare `key` is not one (cache keys, map keys, sort
/// keys), nor is `token_type`.
const KEY_LIKE: &str = r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key|credentials?|creds|auth|session[_-]?id|cookie";

/// The rules that find a value beside a name, in priority order.
pub static NAMED: &[Named] = &[
    Named {
        id: "aws-secret-key",
        matches: "an AWS secret access key: 40 characters of base64 beside `aws_secret_access_key`, `aws_secret_key` or `AWS_SECRET_ACCESS_KEY`",
        name: r"aws_?secret_?(?:access_?)?key",
        unless: "",
        value: r"[A-Za-z0-9/+=]+",
        check: |value| value.len() == 40,
    },
    Named {
        id: "azure-storage-key",
        matches: "an Azure storage account key: 88 characters of base64 ending `==` beside `AccountKey` (a connection string) or a name like `azure_storage_key`",
        name: r"(?:azure|account)[a-z_-]{0,24}key",
        unless: "",
        value: r"[A-Za-z0-9/+=]+",
        check: |value| value.len() == 88 && value.ends_with("=="),
    },
    Named {
        id: "bearer-token",
        matches: "the credential of an `Authorization` header or key: `Bearer`, `Basic`, `Token` or `Bot` and 8 or more characters",
        name: r"authorization",
        unless: "",
        value: r"(?i:bearer|basic|token|bot)[ \t]+[A-Za-z0-9._~+/-]{8,}=*",
        check: |_| true,
    },
    Named {
        id: "generic-high-entropy",
        matches: "a value beside a key-like name (password, passwd, passphrase, pwd, secret, token, api key, access key, private key, signing key, credential(s), creds, auth, session id, cookie; not a page, next, continuation, resume or sync token) that looks generated: no whitespace, 12 or more characters, letters and digits mixed at 3.0 or more bits of entropy per character (or, without digits, mixed case over 24 characters at 4.0 or more)",
        name: KEY_LIKE,
        unless: r"(?:page|next|continuation|resume|sync)[_-]?",
        value: r#"[^\s"'`<>,;&|()\[\]{}\\]+"#,
        check: looks_random,
    },
];

/// The part of an `sk-` key after `sk-` looks generated and mixes case,
/// as every OpenAI key does (prose such as `sk-learn-2024-guide` does not).
fn openai_tail(key: &str) -> bool {
    let tail = &key[3..];
    looks_random(tail)
        && tail.bytes().any(|b| b.is_ascii_uppercase())
        && tail.bytes().any(|b| b.is_ascii_lowercase())
}

/// `token` mixes letters and digits.
fn letters_and_digits(token: &str) -> bool {
    token.bytes().any(|b| b.is_ascii_digit()) && token.bytes().any(|b| b.is_ascii_alphabetic())
}
