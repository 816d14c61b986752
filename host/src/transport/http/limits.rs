//! The limits an HTTP server puts on its clients, their defaults, and the
//! attack each stops. Stateless (2026-07-28) requests hold no session, so
//! only the connection limits apply to them.
//!
//! | limit | flag | default | stops |
//! | --- | --- | --- | --- |
//! | open connections | `--max-connections` | 512 | opening connections until the host runs out of file descriptors |
//! | open `GET` streams | half of `--max-connections` | 256 | sessions' never-ending streams holding every connection slot |
//! | request headers | `--http-header-timeout` | 10 s | connections that send half a request, or nothing, and hold a slot (slowloris); idle keep-alive connections too |
//! | request body | `--http-body-timeout` | 30 s | a body sent a byte at a time, or stopped half-way |
//! | stalled response | `--http-write-timeout` | 30 s | a client that never reads its responses, holding a slot |
//! | sessions | `--max-sessions` | 1024 | `initialize` after `initialize`, growing the host ~50 KB a session |
//! | sessions of one token | `--max-sessions-per-token` | 256 | one token's holder taking every session |
//! | idle session | `--session-idle-timeout` | 120 s | sessions opened and abandoned, each holding memory and a slot |

use std::time::Duration;

pub use super::listener::ConnectionLimits;
pub use super::sessions::SessionCaps;

/// Default `--max-connections`: well under the usual 1,024 descriptors a
/// process may open, leaving room for plugins, files and the listener.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Default `--http-header-timeout`: ample for any client that is sending a
/// request, short enough that a stalled connection frees its slot soon.
/// Longer than the keep-alive expiry of common clients (httpx 5 s, Node 4 s),
/// so they drop idle connections before moat does.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Default `--http-body-timeout`: a 4 MiB body (the largest accepted) at
/// about 1 Mbit/s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Default `--http-write-timeout`: a client reading nothing for this long
/// is gone or hostile; one that reads slowly keeps its connection.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Default `--max-sessions`: about 50 MB of sessions at most.
pub const DEFAULT_MAX_SESSIONS: usize = 1024;

/// Default `--max-sessions-per-token`: a quarter of the host's sessions.
pub const DEFAULT_MAX_SESSIONS_PER_TOKEN: usize = 256;

/// Default `--session-idle-timeout` (rmcp's is 300 s).
pub const DEFAULT_SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// Every limit of an HTTP server; see the module's table.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// Open connections and their header deadline.
    pub connections: ConnectionLimits,
    /// How long a request body may take to arrive after its headers.
    pub body_timeout: Duration,
    /// Sessions in total, per token, and their idle expiry.
    pub sessions: SessionCaps,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connections: ConnectionLimits {
                max_connections: DEFAULT_MAX_CONNECTIONS,
                header_timeout: DEFAULT_HEADER_TIMEOUT,
                write_timeout: DEFAULT_WRITE_TIMEOUT,
            },
            body_timeout: DEFAULT_BODY_TIMEOUT,
            sessions: SessionCaps {
                max_sessions: DEFAULT_MAX_SESSIONS,
                max_per_token: DEFAULT_MAX_SESSIONS_PER_TOKEN,
                idle_timeout: DEFAULT_SESSION_IDLE_TIMEOUT,
            },
        }
    }
}
