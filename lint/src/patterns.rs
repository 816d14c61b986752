//! `MOAT-L003`, `L004`, `L005` and `L007`: what a text says, matched on
//! its [`normalize`]d form against a table of patterns.
//!
//! The table is data: each row is a code, what the pattern catches (for
//! the message), and a regular expression over normalised text (NFKC,
//! lower case, no invisible characters, single spaces). Rows were written
//! from the attacks public scanners report (invariantlabs/snyk `mcp-scan`,
//! `mcp-shield`, Cisco's `mcp-scanner`), in our own words.

use std::sync::LazyLock;

use regex::Regex;

use crate::finding::{Code, Finding};
use crate::item::{Item, Text};
use crate::visible::{at_most, char_index, normalize, window};

/// The most characters of a match a message quotes.
pub(crate) const MATCHED: usize = 80;

/// One row: the code, what it catches, the pattern.
pub(crate) struct Rule {
    pub(crate) code: Code,
    pub(crate) catches: &'static str,
    pub(crate) pattern: Regex,
}

/// The rules, in the order they are reported.
const TABLE: &[(Code, &str, &str)] = &[
    (
        Code::InstructionBlock,
        "an instruction block aimed at the model",
        r"(<|&lt;|&#0*60;|&#x0*3c;)\s*/?\s*(important|instructions?|system|system[ _-]?(prompt|message|instructions?)|admin|critical|assistant|override|(user|tool|ai|secret|hidden)[ _-]?instructions?|note[ _-]?to[ _-]?(the )?(ai|assistant|model|llm))(\s[^>&]{0,200})?(>|&gt;|&#0*62;|&#x0*3e;)",
    ),
    (
        Code::InstructionBlock,
        "a chat-template marker aimed at the model",
        r"\[/?inst\]|<<\s*/?sys\s*>>|<\|\s*(im_start|im_end|system|user|assistant|endoftext)\s*\|>|\[(system|system message|important|admin|instructions?)\]",
    ),
    (
        Code::Override,
        "an instruction to ignore the model's instructions",
        r"\b(ignore|disregard|forget|override|bypass)( (all|any|the|your|every|of))* (previous|prior|above|earlier|preceding|former|original|existing|system|other) (instructions?|prompts?|rules?|directions?|guidelines?|messages?|constraints?)\b",
    ),
    (
        Code::Override,
        "an instruction to keep something from the user",
        r"\b(do not|don.?t|never|must not|should not|shouldn.?t|without) (tell|mention|inform|reveal|show|notify|alert|disclose|explain|say|telling|mentioning|informing|revealing|showing|notifying|alerting|disclosing|explaining|saying)\b[^.!?]{0,40}\bthe users?\b",
    ),
    (
        Code::Override,
        "an instruction to keep something from the user",
        r"\b(hide|conceal|keep) (this|it|that|these)[^.!?]{0,20} from the users?\b|\bthe user (must|should|does|will|need|may) (not|never) (know|see|be told|notice|find out|learn)\b",
    ),
    (
        Code::Override,
        "an instruction that takes over other tools",
        r"\bbefore (using|calling|invoking|running|executing|you use|you call) (any|every|all|each) (other )?(tools?|functions?)\b|\bbefore (any|every|all) other (tools?|functions?)\b",
    ),
    (
        Code::Override,
        "an instruction to act without the user's consent",
        r"\b(do not|don.?t|never|without) (ask|asking|wait|waiting|seek|seeking) for (the user.?s? |any )?(permission|confirmation|approval|consent)\b|\b(silently|secretly|quietly|covertly) (send|forward|upload|share|email|post|copy|transmit|include)\b|\b(always|also) (bcc|cc|send a copy|forward a copy)\b",
    ),
    (
        Code::Override,
        "an instruction to give away the model's instructions",
        r"\b(reveal|print|output|repeat|include|send|pass|share|leak|return|copy)\b[^.!?]{0,30}\b(system prompt|your instructions|initial instructions|developer message)\b|\b(new|updated|real|actual|true) instructions ?:",
    ),
    (
        Code::Pushy,
        "a phrase that presses the model",
        r"\byou (must|should|need to|have to) (always|never|first)\b|\bthis is (very |extremely |really |critically |super )?(important|critical|mandatory)\b|\b(very|extremely|critically) important\b|\bdo(n.?t| not) forget\b|\b(always|first) (call|use|invoke|run) (this|the [a-z0-9_-]+) tool\b",
    ),
    (
        Code::Pushy,
        "a phrase that speaks to the model as a model",
        r"\bas an? (ai|assistant|language model|llm)\b|\byou are now\b|\b(the|this) (assistant|ai|llm) (must|should|will)\b|\b(developer|god|jailbreak) mode\b",
    ),
    (
        Code::Pushy,
        "a mention of the conversation or the model's instructions",
        r"\b(conversation|chat|message) history\b|\b(entire|whole|full|complete) (conversation|chat|transcript)\b|\bsystem prompt\b",
    ),
    (Code::SensitivePlace, "a sensitive place", SENSITIVE),
];

/// Credentials, keys, and other clients' configuration.
pub(crate) const SENSITIVE: &str = concat!(
    r"~/\.ssh\b|\.ssh/|\bid_(rsa|dsa|ecdsa|ed25519)(\.pub)?\b|\bauthorized_keys\b",
    r"|(^|[\s/'`(\x22])\.env(\.[a-z]+)?\b",
    r"|\b(mcp|mcp_config|cline_mcp_settings|claude_desktop_config)\.json\b|\.cursor/|\.claude\.json\b|\.codeium/|\.continue/config",
    r"|\.aws/(credentials|config)\b|\.azure/|\bgcloud/|application_default_credentials\.json",
    r"|/etc/(passwd|shadow|sudoers|master\.passwd)\b",
    r"|\.netrc\b|\.git-credentials\b|\.kube/config\b|\.docker/config\.json\b|\.npmrc\b|\.pypirc\b|\.pgpass\b|\.gnupg\b|\.vault-token\b",
    r"|\bwallet\.dat\b|\.(bash|zsh)_history\b",
);

/// The table, compiled once.
pub(crate) static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|&(code, catches, pattern)| Rule {
            code,
            catches,
            pattern: Regex::new(pattern).expect("the lint's patterns compile"),
        })
        .collect()
});

/// Adds the findings of each rule that matches `text` (one per rule).
pub(crate) fn check(item: &Item, text: &Text, findings: &mut Vec<Finding>) {
    let normal = normalize(&text.value);
    if normal.is_empty() {
        return;
    }
    let mut found_here: Vec<Code> = Vec::new();
    for rule in RULES.iter() {
        if found_here.contains(&rule.code) {
            continue;
        }
        let Some(found) = rule.pattern.find(&normal) else {
            continue;
        };
        found_here.push(rule.code);
        let matched = at_most(found.as_str().trim(), MATCHED);
        let from = char_index(&normal, found.start());
        let to = char_index(&normal, found.end());
        findings.push(Finding::new(
            rule.code,
            item,
            &text.place,
            format!("{} ({matched:?}): {}", rule.catches, why(rule.code)),
            window(&normal, from, to),
        ));
    }
}

/// Why a rule's findings matter.
fn why(code: Code) -> &'static str {
    match code {
        Code::InstructionBlock => {
            "definitions describe a tool to the model; a block of instructions to it is tool poisoning"
        }
        Code::Override => {
            "a definition that overrides the model's instructions or works behind the user's back is tool poisoning"
        }
        Code::Pushy => "honest definitions describe; read what this one wants the model to do",
        _ => {
            "a definition has no reason to point the model at credentials or other clients' configuration"
        }
    }
}
