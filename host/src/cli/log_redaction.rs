//! moat's log lines, at every level, pass through the redactor of every
//! loaded plugin's granted secrets ([`redactor::logged`]) on their way to
//! stderr: whatever a line carries (a plugin's stderr, its log messages, a
//! WASI call traced at `trace` with its string arguments, an error), a
//! secret's value never reaches the log. Without secrets, a line costs one
//! atomic load more.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

use crate::sandbox::redactor;

/// A [`MakeWriter`] whose writers redact granted secrets.
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        RedactingWriter(self.0.make_writer_for(meta))
    }
}

/// Writes what it is given with granted secrets redacted. The log layer
/// writes each line whole, in one call, so a value is never split.
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match redactor::logged() {
            None => self.0.write(buf),
            Some(redactor) => {
                self.0.write_all(&redactor.redact_bytes(buf))?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
