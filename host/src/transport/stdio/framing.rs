//! Splitting stdin into lines, each at most [`MAX_MESSAGE`] bytes: pure,
//! so that it can be driven with arbitrary bytes without a process.

/// Longest message accepted on stdin, in bytes, not counting its newline
/// (default 16 MiB). A client that sends more without a newline would
/// otherwise grow the read buffer until the host runs out of memory; the
/// oversized line is dropped as it is read (never buffered whole) and
/// answered once with a parse error.
pub const MAX_MESSAGE: usize = 16 << 20;

/// What [`Framer::push`] found at the end of the bytes it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A whole line, now in [`Framer::line`] (without its newline).
    Line,
    /// A line grew past the limit: it is being dropped up to its newline,
    /// and this is reported once, as soon as the limit is passed.
    Oversized,
}

/// Newline-delimited framing with a length limit.
#[derive(Debug)]
pub struct Framer {
    line: Vec<u8>,
    max: usize,
    /// The last push returned [`Frame::Line`]: clear it on the next one.
    complete: bool,
    /// Skipping the rest of an oversized line, up to its newline.
    discarding: bool,
}

impl Framer {
    /// A framer for lines of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        Self {
            line: Vec::new(),
            max,
            complete: false,
            discarding: false,
        }
    }

    /// Takes bytes from `input` up to and including its first newline.
    /// Returns how many it took (at least one if `input` is not empty) and
    /// the frame they completed, if any. Call it again with the rest.
    pub fn push(&mut self, input: &[u8]) -> (usize, Option<Frame>) {
        if std::mem::take(&mut self.complete) {
            self.line.clear();
        }
        let newline = input.iter().position(|&byte| byte == b'\n');
        let (body, taken) = match newline {
            Some(at) => (&input[..at], at + 1),
            None => (input, input.len()),
        };
        if self.discarding {
            self.discarding = newline.is_none();
            return (taken, None);
        }
        if self.line.len() + body.len() > self.max {
            self.line.clear();
            self.line.shrink_to(64 << 10);
            self.discarding = newline.is_none();
            return (taken, Some(Frame::Oversized));
        }
        self.line.extend_from_slice(body);
        if newline.is_none() {
            return (taken, None);
        }
        self.complete = true;
        (taken, Some(Frame::Line))
    }

    /// The line the last [`Frame::Line`] completed.
    pub fn line(&self) -> &[u8] {
        &self.line
    }
}

#[cfg(test)]
mod tests {
    use super::{Frame, Framer};

    /// Every frame `input` yields, fed in chunks of `chunk` bytes.
    fn frames(max: usize, input: &[u8], chunk: usize) -> Vec<Result<Vec<u8>, ()>> {
        let mut framer = Framer::new(max);
        let mut found = Vec::new();
        for mut piece in input.chunks(chunk) {
            while !piece.is_empty() {
                let (taken, frame) = framer.push(piece);
                piece = &piece[taken..];
                match frame {
                    Some(Frame::Line) => found.push(Ok(framer.line().to_vec())),
                    Some(Frame::Oversized) => found.push(Err(())),
                    None => {}
                }
            }
        }
        found
    }

    #[test]
    fn an_oversized_line_is_reported_once_however_it_arrives() {
        let input = b"ok\n0123456789abcdef\nnext\n";
        for chunk in 1..input.len() {
            assert_eq!(
                frames(8, input, chunk),
                [Ok(b"ok".to_vec()), Err(()), Ok(b"next".to_vec())],
                "chunks of {chunk}"
            );
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept() {
        assert_eq!(
            frames(4, b"abcd\nabcde\n", 3),
            [Ok(b"abcd".to_vec()), Err(())]
        );
    }
}
