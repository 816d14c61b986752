//! Unit and property tests of the line format, resuming and verifying.

mod chain;
mod properties;
mod verify;

use std::time::{Duration, SystemTime};

use crate::Chain;

/// A record's own fields, as the host writes them.
#[derive(serde::Serialize)]
pub struct Fields {
    pub n: u64,
    pub text: String,
}

/// The bytes of a log of `count` lines.
pub fn log(count: u64) -> Vec<u8> {
    let mut chain = Chain::new();
    let mut out = Vec::new();
    for n in 0..count {
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_612_000_000 + n);
        let fields = Fields {
            n,
            text: format!("record {n}"),
        };
        chain.append(&mut out, time, "request", &fields).unwrap();
    }
    out
}

/// The lines of `log`, each without its newline.
pub fn lines(log: &[u8]) -> Vec<Vec<u8>> {
    log.split_inclusive(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\n").unwrap_or(l).to_vec())
        .collect()
}

/// `lines` joined back, each with its newline.
pub fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect()
}
