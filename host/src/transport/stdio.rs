//! The stdio transport: newline-delimited JSON-RPC on stdin and stdout.
//!
//! A thin layer over rmcp. rmcp's own stdio transport drops a line that is
//! not JSON without a word; JSON-RPC 2.0 asks for a `-32700 Parse error`
//! reply, so that a client (or a person typing) learns what went wrong. This
//! transport answers it, answers a well-formed message that is not JSON-RPC
//! with `-32600 Invalid request` (echoing its `id` when it has one), and
//! ignores notifications it does not know, as rmcp does.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ErrorData, JsonRpcError, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::io::{StdioReader, StdioWriter, stdio_pipes};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

/// Longest message accepted on stdin. A client that sends more without a
/// newline would otherwise grow the read buffer until the host runs out of
/// memory; the oversized line is dropped and answered with a parse error.
pub const MAX_MESSAGE: usize = 16 << 20;

/// MCP over the process's stdin and stdout.
pub struct Stdio {
    read: BufReader<StdioReader>,
    line: Vec<u8>,
    /// Skipping the rest of an oversized line, up to its newline.
    discarding: bool,
    write: Arc<Mutex<StdioWriter>>,
}

impl Stdio {
    /// The transport for this process's stdin and stdout.
    pub fn new() -> Self {
        let (read, write) = stdio_pipes();
        Self {
            read: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            write: Arc::new(Mutex::new(write)),
        }
    }

    /// Reads one line into `self.line`. Cancel-safe: `receive` is polled
    /// in a `select!`, so a partial line stays in `self.line` for the next call.
    /// Returns `None` at end of input, `Some(false)` for an oversized line.
    async fn read_line(&mut self) -> Option<std::io::Result<bool>> {
        loop {
            let available = match self.read.fill_buf().await {
                Ok([]) => return None,
                Ok(bytes) => bytes,
                Err(error) => return Some(Err(error)),
            };
            let newline = available.iter().position(|&b| b == b'\n');
            let take = newline.map_or(available.len(), |at| at + 1);
            if !self.discarding {
                self.line.extend_from_slice(&available[..take]);
            }
            self.read.consume(take);
            let oversized = self.line.len() > MAX_MESSAGE;
            if oversized {
                self.line.clear();
                self.discarding = true;
            }
            if newline.is_some() {
                let was_discarding = std::mem::replace(&mut self.discarding, false);
                return Some(Ok(!was_discarding));
            }
            if oversized {
                return Some(Ok(false));
            }
        }
    }

    /// Writes one message and a newline, then flushes.
    fn write(
        &self,
        message: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = std::io::Result<()>> + Send + 'static {
        let write = self.write.clone();
        async move {
            let mut bytes = serde_json::to_vec(&message)?;
            bytes.push(b'\n');
            let mut write = write.lock().await;
            write.write_all(&bytes).await?;
            write.flush().await
        }
    }
}

impl Default for Stdio {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport<RoleServer> for Stdio {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.write(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let complete = match self.read_line().await? {
                Ok(complete) => complete,
                Err(error) => {
                    tracing::error!("cannot read stdin: {error}");
                    return None;
                }
            };
            let line = std::mem::take(&mut self.line);
            let reply = if complete {
                match classify(&line) {
                    Line::Message(message) => return Some(*message),
                    Line::Blank | Line::Ignored => None,
                    Line::Reply(reply) => Some(*reply),
                }
            } else {
                Some(error_reply(
                    None,
                    ErrorData::parse_error(
                        format!("Parse error: message longer than {MAX_MESSAGE} bytes"),
                        None,
                    ),
                ))
            };
            self.line = line;
            self.line.clear();
            if let Some(reply) = reply
                && let Err(error) = self.write(reply).await
            {
                tracing::error!("cannot write stdout: {error}");
                return None;
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.write.lock().await.flush().await
    }
}

/// What one line of input turned out to be.
enum Line {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    Blank,
    /// A notification this server does not know; JSON-RPC forbids replying.
    Ignored,
    Reply(Box<TxJsonRpcMessage<RoleServer>>),
}

fn classify(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::Blank;
    }
    let error = match serde_json::from_slice(line) {
        Ok(message) => return Line::Message(Box::new(message)),
        Err(error) => error,
    };
    let Ok(value) = serde_json::from_slice::<Value>(line) else {
        return Line::Reply(Box::new(error_reply(
            None,
            ErrorData::parse_error(format!("Parse error: {error}"), None),
        )));
    };
    let id = value
        .get("id")
        .cloned()
        .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
    if id.is_none() && value.get("method").is_some() {
        tracing::debug!("ignoring a notification this server does not handle: {error}");
        return Line::Ignored;
    }
    Line::Reply(Box::new(error_reply(
        id,
        ErrorData::invalid_request(format!("Invalid request: {error}"), None),
    )))
}

fn error_reply(id: Option<RequestId>, error: ErrorData) -> TxJsonRpcMessage<RoleServer> {
    JsonRpcMessage::Error(JsonRpcError::new(id, error))
}
