//! What one line of the audit log says, built on the request path from a
//! [`Call`] or an [`Event`] and written by the writer thread.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::Value;

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

impl Record {
    /// The record of `call`, ended with `outcome`; with its argument
    /// values, redacted, if `arguments`.
    pub fn request(call: &Call, outcome: &Outcome, arguments: bool) -> Self {
        let mut values = arguments.then(|| call.arguments.clone()).flatten();
        let mut size = OVERHEAD + call.target.len();
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
            era: caller.era.clone(),
            session: caller.session.clone(),
            client: caller.client.clone(),
            identity: caller.identity.clone(),
            method: call.method.as_str(),
            plugin: call.plugin.clone(),
            wasm: call.digest.clone(),
            target: call.target.clone(),
            arguments_sha256: call.arguments_digest.clone(),
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

/// Redacts the secrets in argument values before they are written, as the
/// logs are redacted: the one place the audit log does so. At the merge of
/// issue 14 it calls `moat_secrets::redact_value`, the secret scanner's
/// redaction.
fn redact(arguments: &mut Value) {
    let _ = arguments;
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
