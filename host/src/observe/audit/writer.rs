//! The writer thread: takes records off a bounded queue, chains them and
//! appends them to the file, so that a request never waits for the disk.

use std::fs::File;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use moat_audit::Chain;

use super::record::{Fields, Record};

/// How many records may wait to be written. A disk slower than the calls
/// (or one that stalls) must not make the host hold lines without bound:
/// past this, records are dropped and counted, and the log says how many
/// in a `dropped` record. At ~5,000 calls/s it is a second and a half of
/// calls.
pub const MAX_QUEUED: usize = 8192;

/// How many bytes of records may wait to be written: with
/// `--audit-arguments` a record holds its arguments (up to a 16 MiB
/// message each), so a count alone would not bound memory. One record is
/// always let in when none waits.
pub const MAX_QUEUED_BYTES: usize = 32 << 20;

/// How much the writer gathers into one write when records queue up.
const BATCH_BYTES: usize = 1 << 20;

/// How long closing the log waits for queued records to be written.
const FLUSH_WAIT: Duration = Duration::from_secs(10);

enum Message {
    /// Boxed: the queue's slots are allocated up front, so they stay small.
    Record(Box<Record>),
    /// Write everything before this, sync the file, then answer.
    Flush(mpsc::Sender<()>),
    /// Write everything before this, sync and close the file.
    Close,
}

/// The request side of the queue.
pub(super) struct Queue {
    sender: mpsc::SyncSender<Message>,
    shared: Arc<Shared>,
    /// Disconnected when the writer has closed the file (in a mutex only
    /// to be shared; it is read once, at drop, through `get_mut`).
    closed: Mutex<mpsc::Receiver<()>>,
}

/// What the request side and the writer both see.
#[derive(Default)]
struct Shared {
    /// Bytes of the records queued.
    queued: AtomicUsize,
    /// Records dropped since the writer last wrote a `dropped` record.
    dropped: AtomicU64,
    /// Whether a drop was logged already (it is logged once).
    warned: AtomicBool,
}

impl Queue {
    /// Starts the writer thread appending to `file` after `chain`.
    pub fn start(path: PathBuf, file: File, chain: Chain) -> std::io::Result<Self> {
        let len = file.metadata()?.len();
        let (sender, receiver) = mpsc::sync_channel(MAX_QUEUED);
        let shared = Arc::new(Shared::default());
        let (closing, closed) = mpsc::channel();
        let writer = Writer {
            path,
            file,
            _closing: closing,
            len,
            chain,
            shared: shared.clone(),
            lost: 0,
            error: String::new(),
            state: State::Writing,
        };
        std::thread::Builder::new()
            .name("moat-audit".into())
            .spawn(move || writer.run(&receiver))?;
        Ok(Self {
            sender,
            shared,
            closed: Mutex::new(closed),
        })
    }

    /// Queues `record`, or drops and counts it if the queue is full. Never
    /// blocks.
    pub fn push(&self, record: Record) {
        let size = record.size;
        let before = self.shared.queued.fetch_add(size, Ordering::Relaxed);
        let fits = before == 0 || before + size <= MAX_QUEUED_BYTES;
        if !fits
            || self
                .sender
                .try_send(Message::Record(Box::new(record)))
                .is_err()
        {
            self.shared.queued.fetch_sub(size, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            if !self.shared.warned.swap(true, Ordering::Relaxed) {
                tracing::error!(
                    "the audit log cannot keep up: records past {MAX_QUEUED} (or {} MiB) waiting are dropped, and the log counts them in `dropped` records",
                    MAX_QUEUED_BYTES >> 20
                );
            }
        }
    }

    /// How many records were dropped and not yet counted in the log.
    #[cfg(test)]
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Waits (a bounded time) until every record queued so far is written
    /// and synced to disk.
    pub fn flush(&self) {
        let (done, wait) = mpsc::channel();
        if self.sender.send(Message::Flush(done)).is_ok() && wait.recv_timeout(FLUSH_WAIT).is_err()
        {
            tracing::error!("the audit log was not written within {FLUSH_WAIT:?} of closing");
        }
    }
}

impl Drop for Queue {
    /// Closes the file (and with it its lock) once the lines queued are
    /// written, waiting a bounded time.
    fn drop(&mut self) {
        if self.sender.try_send(Message::Close).is_ok()
            && let Ok(closed) = self.closed.get_mut()
        {
            let _ = closed.recv_timeout(FLUSH_WAIT);
        }
    }
}

#[derive(PartialEq, Eq)]
enum State {
    Writing,
    /// A write failed; records are counted as lost until one succeeds.
    Failing,
    /// A failed write could not be undone, so the file may end in part of
    /// a line: nothing more is appended (a line after it would break the
    /// chain for good).
    Stopped,
}

struct Writer {
    path: PathBuf,
    file: File,
    /// Dropped after `file`, telling [`Queue`]'s drop the file is closed.
    _closing: mpsc::Sender<()>,
    /// The file's length after the last whole line written.
    len: u64,
    chain: Chain,
    shared: Arc<Shared>,
    /// Records not written since the last successful write.
    lost: u64,
    /// The error that lost them.
    error: String,
    state: State,
}

/// How long the writer waits after a line arrives, for more to write with
/// it: at most this much later on disk, and at 5,000 calls/s one wake-up
/// per 5 lines instead of one per line.
const GATHER: Duration = Duration::from_millis(1);

impl Writer {
    fn run(mut self, receiver: &mpsc::Receiver<Message>) {
        let mut buf = Vec::new();
        while let Ok(message) = receiver.recv() {
            // Lets the lines of a busy host gather before writing them, so
            // that the writer is woken (a futex wake and a context switch on
            // the request path) about once per `GATHER`, not once per line.
            if matches!(message, Message::Record(_)) {
                std::thread::sleep(GATHER);
            }
            let mut records = Vec::new();
            let mut flushes = Vec::new();
            let mut close = false;
            let mut size = 0;
            let mut next = Some(message);
            while let Some(message) = next.take() {
                match message {
                    Message::Record(record) => {
                        size += record.size;
                        records.push(*record);
                    }
                    Message::Flush(done) => flushes.push(done),
                    Message::Close => close = true,
                }
                if size < BATCH_BYTES && !close {
                    next = receiver.try_recv().ok();
                }
            }
            self.write(records, &mut buf);
            if !flushes.is_empty() {
                let _ = self.file.sync_data();
                for done in flushes {
                    let _ = done.send(());
                }
            }
            if close {
                break;
            }
        }
        let _ = self.file.sync_data();
    }

    /// Appends `records`, after a record of any dropped or lost before
    /// them, in one write.
    fn write(&mut self, records: Vec<Record>, buf: &mut Vec<u8>) {
        let count = records.len() as u64;
        let bytes: usize = records.iter().map(|r| r.size).sum();
        self.shared.queued.fetch_sub(bytes, Ordering::Relaxed);
        if self.state == State::Stopped {
            self.lost += count;
            return;
        }
        buf.clear();
        let before = self.chain.clone();
        let dropped = self.shared.dropped.swap(0, Ordering::Relaxed);
        let mut gaps = Vec::new();
        if dropped > 0 {
            gaps.push(Record::now(
                "dropped",
                Fields::Gap {
                    count: dropped,
                    error: None,
                },
            ));
        }
        if self.lost > 0 {
            let error = Some(self.error.clone());
            gaps.push(Record::now(
                "lost",
                Fields::Gap {
                    count: self.lost,
                    error,
                },
            ));
        }
        for record in gaps.iter().chain(&records) {
            // The fields are plain data: serializing them cannot fail.
            let _ = self
                .chain
                .append(buf, record.time, record.kind, &record.fields);
        }
        if buf.is_empty() {
            return;
        }
        match self.file.write_all(buf) {
            Ok(()) => {
                self.len += buf.len() as u64;
                if self.state == State::Failing {
                    tracing::warn!(
                        "the audit log {} is written again; {} records were lost",
                        self.path.display(),
                        self.lost
                    );
                }
                self.lost = 0;
                self.state = State::Writing;
            }
            Err(error) => {
                self.chain = before;
                self.shared.dropped.fetch_add(dropped, Ordering::Relaxed);
                self.lost += count;
                self.error = error.to_string();
                let undone = self.file.set_len(self.len);
                if self.state == State::Writing {
                    tracing::error!(
                        "cannot write the audit log {}: {error}; calls go on, and the records not written are counted in a `lost` record once it can be written",
                        self.path.display()
                    );
                }
                self.state = State::Failing;
                if let Err(undo) = undone {
                    tracing::error!(
                        "cannot undo a failed write to the audit log {} ({undo}): it is not written any more this run",
                        self.path.display()
                    );
                    self.state = State::Stopped;
                }
            }
        }
    }
}
