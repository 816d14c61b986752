//! What one line of the audit log says, built on the request path from a
//! [`Call`] or an [`Event`] and written by the writer thread.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::observe::{Call, Event, Outcome};

/// One record, waiting to be written.
pub(super) struct Record {
    /// When it happened (for a request: when it began).
    pub time: SystemTime,
    /// The line's `kind`.
    pub kind: &'static str,
    /// Its own fields.
    pub fields: Fields,
    /// Roughly how many bytes it holds, for the queue's bound.
    pub size: usize,
}

/// The fields of each kind of record, in the order they are written.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Fields {
    Request(Request),
    Plugin {
        plugin: String,
        path: String,
        wasm: String,
        tools: usize,
    },
    Removed {
        plugin: String,
        path: String,
    },
    Refused {
        path: String,
        reason: String,
    },
    Lock {
        path: String,
        sha256: String,
    },
    Start {
        version: &'static str,
        pid: u32,
    },
    /// Records not written: the queue was full (`dropped`), or writing
    /// failed (`lost`, with the error).
    Gap {
        count: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
}

/// A request that reached a plugin.
#[derive(Serialize)]
pub(super) struct Request {
    era: Option<Arc<str>>,
    session: Option<Arc<str>>,
    client: Option<Arc<str>>,
    identity: Option<Arc<str>>,
    method: &'static str,
    plugin: Arc<str>,
    wasm: Arc<str>,
    target: String,
    arguments_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    arguments: Option<Value>,
    outcome: &'static str,
    limit: Option<&'static str>,
    duration_us: u64,
}

/// What a record holds besides its variable parts.
const OVERHEAD: usize = 512;

/// The longest text a request line takes from the client as it is: its
/// `clientInfo`, protocol version, session header, and the tool, prompt or
/// URI it names (a resource template matches a URI of any length, up to a
/// 16 MiB message). Longer text is cut here and followed by its length
/// and SHA-256, so that a client cannot make each line of the log
/// megabytes long and fill the disk.
pub const MAX_FIELD: usize = 1024;

impl Record {
    /// The record of `call`, ended with `outcome`; with its argument
    /// values, redacted, if `arguments`.
    pub fn request(call: &Call, outcome: &Outcome, arguments: bool) -> Self {
        let mut values = arguments.then(|| call.arguments.clone()).flatten();
        let mut size = OVERHEAD + call.target.len().min(2 * MAX_FIELD);
        if let Some(values) = &mut values {
            redact(values);
            size += json_size(values);
        }
        let limit = match outcome {
            Outcome::Failed { limit, .. } => *limit,
            _ => None,
        };
        let caller = &call.caller;
        let request = Request {
            era: caller.era.as_ref().map(capped),
            session: caller.session.as_ref().map(capped),
            client: caller.client.as_ref().map(capped),
            identity: caller.identity.as_ref().map(capped),
            method: call.method.as_str(),
            plugin: call.plugin.clone(),
            wasm: call.digest.clone(),
            target: redact_target(cut(&call.target).unwrap_or_else(|| call.target.clone())),
            arguments_sha256: call.arguments_digest.clone().unwrap_or_default(),
            arguments: values,
            outcome: outcome.as_str(),
            limit,
            duration_us: u64::try_from(call.took.as_micros()).unwrap_or(u64::MAX),
        };
        Self {
            time: call.at,
            kind: "request",
            fields: Fields::Request(request),
            size,
        }
    }

    /// The record of `event`.
    pub fn event(event: &Event<'_>) -> Self {
        let path = |path: &Path| path.display().to_string();
        let fields = match *event {
            Event::Loaded {
                plugin,
                path: file,
                digest,
                tools,
            }
            | Event::Reloaded {
                plugin,
                path: file,
                digest,
                tools,
            } => Fields::Plugin {
                plugin: plugin.to_owned(),
                path: path(file),
                wasm: digest.to_owned(),
                tools,
            },
            Event::Removed { plugin, path: file } => Fields::Removed {
                plugin: plugin.to_owned(),
                path: path(file),
            },
            Event::Refused { path: file, reason } => Fields::Refused {
                path: path(file),
                reason: reason.to_owned(),
            },
            Event::LockChanged { path: file, digest } => Fields::Lock {
                path: path(file),
                sha256: digest.to_owned(),
            },
        };
        Self::now(event.kind(), fields)
    }

    /// A record of `kind` with `fields`, happening now.
    pub fn now(kind: &'static str, fields: Fields) -> Self {
        Self {
            time: SystemTime::now(),
            kind,
            fields,
            size: OVERHEAD,
        }
    }
}

/// Redacts the secrets in `arguments` (`--audit-arguments`) as the secret
/// scanner does (`moat_secrets::redact_value`: each becomes
/// `[REDACTED:<rule-id>]`), whatever the plugin's `[secrets]` policy, and
/// the value of every secret a plugin is granted
/// (`[REDACTED:secret:NAME]`).
fn redact(arguments: &mut Value) {
    if let Some(granted) = crate::sandbox::redactor::logged() {
        granted.redact_value(arguments);
    }
    moat_secrets::redact_value(arguments);
}

/// `target` (a tool, prompt or URI the client named) with the value of
/// every secret a plugin is granted redacted.
fn redact_target(target: String) -> String {
    match crate::sandbox::redactor::logged() {
        Some(granted) => granted.redact(&target).into_owned(),
        None => target,
    }
}

/// `text`, or a new one cut to [`MAX_FIELD`] if longer.
fn capped(text: &Arc<str>) -> Arc<str> {
    cut(text).map_or_else(|| text.clone(), Into::into)
}

/// `text` cut to at most [`MAX_FIELD`] bytes (at a character's start),
/// followed by its whole length and SHA-256; `None` if it is not longer.
fn cut(text: &str) -> Option<String> {
    if text.len() <= MAX_FIELD {
        return None;
    }
    let end = text.floor_char_boundary(MAX_FIELD);
    let digest = Sha256::digest(text.as_bytes());
    Some(format!(
        "{}…[{} bytes, sha256:{digest:x}]",
        &text[..end],
        text.len()
    ))
}

/// How long `value` is as JSON text.
fn json_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}
