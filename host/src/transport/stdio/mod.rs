//! The stdio transport: newline-delimited JSON-RPC on stdin and stdout.
//!
//! A thin layer over rmcp that holds the line to JSON-RPC 2.0 where rmcp's
//! own stdio transport does not: every line is framed ([`framing`]) and
//! classified ([`classify`]) by pure functions, so that each is passed on,
//! ignored, or answered exactly once with the error the spec names; the
//! requests in flight are bounded ([`in_flight`]) so that stdin is not read
//! while the client leaves its answers unread; and a request whose id is
//! still in flight is answered `-32600` at once instead of losing one of
//! the two answers in rmcp, which tracks requests by the client's id.
//!
//! [`Stdio`] is a handle: clones share the connection, so that the session
//! can start over on the same stdin when rmcp gives up on a handshake.

pub mod classify;
pub mod framing;
pub mod in_flight;
#[cfg(test)]
mod properties;

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::{ClientNotification, GetExtensions as _, JsonRpcMessage, RequestId};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use rmcp::transport::io::{StdioReader, StdioWriter, stdio_pipes};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, OwnedSemaphorePermit};

use crate::observe::trace::{self, TransportSpan};

use self::classify::{Line, Reply, classify};
use self::framing::{Frame, Framer};
use self::in_flight::{InFlight, cost};

pub use self::framing::MAX_MESSAGE;
pub use self::in_flight::MAX_IN_FLIGHT;

/// MCP over the process's stdin and stdout.
#[derive(Clone)]
pub struct Stdio {
    read: Arc<Mutex<Reader>>,
    write: Arc<Mutex<StdioWriter>>,
    in_flight: InFlight,
}

/// The reading half: what has been read and not yet handed on.
struct Reader {
    stdin: BufReader<StdioReader>,
    framer: Framer,
    /// Read, waiting for its share of the in-flight budget.
    waiting: Option<Waiting>,
}

/// A line that must wait for the budget before it goes on.
enum Waiting {
    /// A request for rmcp, of this many bytes.
    Request(Box<RxJsonRpcMessage<RoleServer>>, RequestId, usize),
    /// An error the transport writes itself.
    Reply(Reply),
}

impl Stdio {
    /// The transport for this process's stdin and stdout.
    pub fn new() -> Self {
        let (read, write) = stdio_pipes();
        Self {
            read: Arc::new(Mutex::new(Reader {
                stdin: BufReader::new(read),
                framer: Framer::new(MAX_MESSAGE),
                waiting: None,
            })),
            write: Arc::new(Mutex::new(write)),
            in_flight: InFlight::new(),
        }
    }

    /// Writes one line, whole, then flushes; then lets `permit` go.
    fn write_line(
        &self,
        line: std::io::Result<Vec<u8>>,
        permit: Option<OwnedSemaphorePermit>,
    ) -> impl Future<Output = std::io::Result<()>> + Send + 'static {
        let write = self.write.clone();
        async move {
            let line = line?;
            let mut write = write.lock().await;
            write.write_all(&line).await?;
            write.flush().await?;
            drop(permit);
            Ok(())
        }
    }

    /// Writes a reply of the transport's own in the background, so that an
    /// unread stdout stalls only it; it holds a share of the budget until
    /// written, so such replies cannot pile up either.
    fn reply(&self, reply: &Reply, permit: OwnedSemaphorePermit) {
        let written = self.write_line(Ok(reply.to_line()), Some(permit));
        tokio::spawn(async move {
            if let Err(error) = written.await {
                tracing::error!("cannot write stdout: {error}");
            }
        });
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
        let answered = match &item {
            JsonRpcMessage::Response(response) => Some(&response.id),
            JsonRpcMessage::Error(error) => error.id.as_ref(),
            JsonRpcMessage::Request(_) | JsonRpcMessage::Notification(_) => None,
        };
        let permit = answered.and_then(|id| self.in_flight.finish(id));
        let line = serde_json::to_vec(&item).map(|mut line| {
            line.push(b'\n');
            line
        });
        self.write_line(line.map_err(std::io::Error::from), permit)
    }

    /// Cancel-safe, as rmcp polls it in a `select!`: a partial line stays
    /// in the framer and a line waiting for the budget stays in `waiting`.
    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        let mut reader = self.read.lock().await;
        loop {
            if let Some(waiting) = &reader.waiting {
                let cost = match waiting {
                    Waiting::Request(_, _, bytes) => cost(*bytes),
                    Waiting::Reply(_) => 1,
                };
                let permit = self.in_flight.reserve(cost).await;
                match reader.waiting.take() {
                    Some(Waiting::Request(message, id, _)) => {
                        if let Err(permit) = self.in_flight.start(id.clone(), permit) {
                            let duplicate = Reply::invalid_request(
                                Some(id.clone()),
                                format!("the id {id} is already in flight; ids must be unique"),
                            );
                            self.reply(&duplicate, permit);
                            continue;
                        }
                        return Some(traced(*message));
                    }
                    Some(Waiting::Reply(reply)) => self.reply(&reply, permit),
                    None => {}
                }
            }
            let frame = match next_frame(&mut reader).await {
                Ok(Some(frame)) => frame,
                Ok(None) => return None,
                Err(error) => {
                    tracing::error!("cannot read stdin: {error}");
                    return None;
                }
            };
            let line = match frame {
                Frame::Oversized => Line::Reply(Reply::parse_error(format!(
                    "message longer than {MAX_MESSAGE} bytes"
                ))),
                Frame::Line => classify(reader.framer.line()),
            };
            match line {
                Line::Message(message) => match *message {
                    JsonRpcMessage::Request(request) => {
                        let id = request.id.clone();
                        let bytes = reader.framer.line().len();
                        let message = Box::new(JsonRpcMessage::Request(request));
                        reader.waiting = Some(Waiting::Request(message, id, bytes));
                    }
                    JsonRpcMessage::Notification(notification) => {
                        if let ClientNotification::CancelledNotification(cancelled) =
                            &notification.notification
                            && let Some(id) = &cancelled.params.request_id
                        {
                            // rmcp answers nothing to a cancelled request.
                            self.in_flight.finish(id);
                        }
                        return Some(JsonRpcMessage::Notification(notification));
                    }
                    message => return Some(message),
                },
                Line::Blank => {}
                Line::Ignored(why) => tracing::debug!("ignored a line: {why}"),
                Line::Reply(reply) => reader.waiting = Some(Waiting::Reply(reply)),
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.write.lock().await.flush().await
    }
}

/// `message` with the span of its line in its extensions, for the
/// handler's span to be its child, when spans are on (`--otlp`).
fn traced(mut message: RxJsonRpcMessage<RoleServer>) -> RxJsonRpcMessage<RoleServer> {
    if let JsonRpcMessage::Request(request) = &mut message
        && trace::on()
    {
        let span = trace::stdio_message();
        request.request.extensions_mut().insert(TransportSpan(span));
    }
    message
}

/// Reads until the framer completes a frame; `None` at end of input (an
/// unterminated last line is dropped: it is not a complete message).
async fn next_frame(reader: &mut Reader) -> std::io::Result<Option<Frame>> {
    loop {
        let available = reader.stdin.fill_buf().await?;
        if available.is_empty() {
            return Ok(None);
        }
        let (taken, frame) = reader.framer.push(available);
        reader.stdin.consume(taken);
        if frame.is_some() {
            return Ok(frame);
        }
    }
}
