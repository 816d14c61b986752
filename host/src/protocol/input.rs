//! Input on the stateless (2026-07-28) wire: a plugin's questions become an
//! "input required" result, and the client's retry carries the answers.
//!
//! The answers gathered over earlier rounds travel in `requestState`, sealed
//! with an HMAC under a key drawn at start: a client cannot forge or alter
//! them (a tampered state is refused with `-32602`), and the host keeps
//! nothing between rounds. The seal is bound to the request (method, tool or
//! prompt or URI, and arguments), so answers given to one request cannot be
//! replayed into another that asks a question of the same key, and it
//! expires after [`STATE_TTL`]. The key is drawn at start, so a retry must
//! reach the same process, unless every replica reads the same key from
//! `--state-key-file` ([`Retry::from_key_file`]): then any replica opens
//! what another sealed, and no load balancer needs affinity.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{
    InputRequest, InputRequests, InputRequiredResult, RequestStateCodec, SealOptions,
};
use serde_json::{Value, json};

/// How long a client may take to answer before its `requestState` expires:
/// long enough for a person to fill in a form, short enough that a leaked
/// state is soon worthless.
pub const STATE_TTL: Duration = Duration::from_secs(30 * 60);

/// The shortest `--state-key-file` key accepted: 256 bits, as the random key
/// drawn otherwise.
pub const MIN_KEY_BYTES: usize = 32;

/// The longest key accepted; no more of the file is read, so a wrong path
/// (a log, a disk image, `/dev/zero`) is refused without being read whole.
const MAX_KEY_BYTES: usize = 4096;

/// What a sealed state is bound to: the request's method, its target (a
/// tool or prompt name, a URI) and its arguments. Computed only when a state
/// is sealed or opened, never on an ordinary call.
pub fn binding(method: &str, target: &str, arguments: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(&json!([method, target, arguments])).expect("JSON values serialize")
}

use crate::clients::InputRequired;

/// Seals and opens the answers carried between rounds.
#[derive(Clone)]
pub struct Retry(Arc<RequestStateCodec>);

/// The answers a retried request carries, by question key.
#[derive(Clone, Default)]
pub struct Answers(pub BTreeMap<String, Value>);

impl Retry {
    /// A codec with a fresh random key, this process's own.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).expect("the operating system provides random bytes");
        let codec =
            RequestStateCodec::try_new(key.to_vec()).expect("32 bytes is a long enough key");
        Self(Arc::new(codec))
    }

    /// A codec whose key is the contents of `file` (without trailing
    /// whitespace), shared by every replica so that a round sealed by one is
    /// opened by another. At least [`MIN_KEY_BYTES`]: a shorter key could be
    /// guessed, and whoever knows it forges any answer to any question.
    pub fn from_key_file(file: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_KEY_BYTES as u64 + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read the state key file {}", file.display()))?;
        let end = bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |last| last + 1);
        let key = &bytes[..end];
        if key.len() < MIN_KEY_BYTES || key.len() > MAX_KEY_BYTES {
            anyhow::bail!(
                "the state key file {} holds {} bytes; it needs {MIN_KEY_BYTES} to {MAX_KEY_BYTES} \
                 (e.g. `head -c 32 /dev/urandom | base64 > {}`)",
                file.display(),
                key.len(),
                file.display()
            );
        }
        let codec = RequestStateCodec::try_new(key.to_vec())
            .map_err(|error| anyhow::anyhow!("the state key is unusable: {error}"))?;
        Ok(Self(Arc::new(codec)))
    }

    /// The answers of a request: those sealed in `state` by an earlier round,
    /// then `responses`. A response that is not a JSON object (no MCP result
    /// is anything else) counts as unanswered.
    pub fn open(
        &self,
        responses: Option<BTreeMap<String, Value>>,
        state: Option<&str>,
        binding: impl FnOnce() -> Vec<u8>,
    ) -> Result<Option<Answers>, ErrorData> {
        if responses.is_none() && state.is_none() {
            return Ok(None);
        }
        let mut answers: BTreeMap<String, Value> = match state {
            Some(state) => self.0.open_json_with(state, &binding()).map_err(|_| {
                ErrorData::invalid_params(
                    "requestState is not one this server issued for this request, \
                         was altered, or has expired",
                    None,
                )
            })?,
            None => BTreeMap::new(),
        };
        let fresh = responses.unwrap_or_default().into_iter();
        answers.extend(fresh.filter(|(_, answer)| answer.is_object()));
        Ok(Some(Answers(answers)))
    }

    /// The "input required" result asking the plugin's unanswered questions,
    /// carrying the answers so far.
    pub fn ask(
        &self,
        input: InputRequired,
        binding: impl FnOnce() -> Vec<u8>,
    ) -> Result<InputRequiredResult, ErrorData> {
        let mut requests = InputRequests::new();
        for (key, method, params) in input.questions {
            if input.answers.contains_key(&key) {
                continue;
            }
            let request: InputRequest = serde_json::from_value(
                json!({"method": method, "params": params}),
            )
            .map_err(|error| {
                ErrorData::internal_error(
                    format!("the plugin asked `{key}` with an invalid `{method}` request: {error}"),
                    None,
                )
            })?;
            requests.insert(key, request);
        }
        let binding = binding();
        let options = SealOptions::new().associated_data(&binding).ttl(STATE_TTL);
        let state = self
            .0
            .seal_json_with(&input.answers, &options)
            .map_err(|error| ErrorData::internal_error(error.to_string(), None))?;
        Ok(InputRequiredResult::new(Some(requests), Some(state)))
    }
}
