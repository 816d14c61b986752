//! A plugin's stdout and stderr: captured, bounded, and sent to the host's
//! log after the call. They never reach the protocol stream.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// One captured stream. Writes always succeed; bytes past `capacity` are
/// counted and dropped.
#[derive(Clone)]
pub struct Captured(Arc<Mutex<Buffer>>);

struct Buffer {
    bytes: Vec<u8>,
    capacity: usize,
    dropped: usize,
}

impl Captured {
    /// An empty stream that keeps at most `capacity` bytes.
    pub fn new(capacity: usize) -> Self {
        Self(Arc::new(Mutex::new(Buffer {
            bytes: Vec::new(),
            capacity,
            dropped: 0,
        })))
    }

    /// What was kept, as text, and how many bytes were dropped.
    pub fn take(&self) -> (String, usize) {
        let mut buffer = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        let text = String::from_utf8_lossy(&buffer.bytes).into_owned();
        buffer.bytes.clear();
        (text, std::mem::take(&mut buffer.dropped))
    }

    fn push(&self, bytes: &[u8]) {
        let mut buffer = self.0.lock().unwrap_or_else(|poison| poison.into_inner());
        let room = buffer.capacity.saturating_sub(buffer.bytes.len());
        let kept = bytes.len().min(room);
        buffer.bytes.extend_from_slice(&bytes[..kept]);
        buffer.dropped += bytes.len() - kept;
    }
}

impl IsTerminal for Captured {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Captured {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for Captured {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_capacity_and_counts_the_rest() {
        let captured = Captured::new(4);
        captured.push(b"abc");
        captured.push(b"defg");
        assert_eq!(captured.take(), ("abcd".to_owned(), 3));
        assert_eq!(captured.take(), (String::new(), 0));
    }
}
