//! `--redis URL`: state that replicas of one deployment share.
//!
//! - [`store`]: rmcp's [`SessionStore`](rmcp::transport::streamable_http_server::session::store::SessionStore)
//!   in Redis, so that a 2025-11-25 session opened on one replica carries
//!   on, with the same id, on another: with its owner (another identity
//!   presenting the id gets 404 there too) and its resource subscriptions.
//! - [`events`]: one pub/sub channel on which each replica says that the
//!   lists changed, a resource changed, or a session was ended, so that
//!   every replica tells its own clients.
//!
//! Redis is reached through the `redis` crate's connection manager, which
//! reconnects by itself; every operation is bounded by `--redis-timeout`,
//! so Redis down never hangs a request: sessions then get a 503 naming
//! Redis, and stateless (2026-07-28) requests, which need no Redis, are
//! served as ever. What is read from Redis is bounded in size and parsed
//! strictly: a Redis anyone else can write to must not crash or mislead
//! the host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::sessions::CappedSessions;

pub mod events;
pub mod store;

/// The default `--redis-prefix`.
pub const DEFAULT_PREFIX: &str = "moat:";

/// The default `--redis-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// What `--redis` and its flags asked for.
#[derive(Debug, Clone)]
pub struct SharedOptions {
    /// `redis://HOST:PORT/DB`.
    pub url: String,
    /// Put before every key and the channel's name.
    pub prefix: String,
    /// The longest any one Redis operation may take.
    pub timeout: Duration,
    /// How long a session's keys live unused: the session idle timeout.
    pub ttl: Duration,
}

/// A replica's link to the shared Redis.
pub struct Shared {
    client: redis::Client,
    redis: ConnectionManager,
    prefix: String,
    /// Tells this replica's messages apart from the others'.
    instance: String,
    timeout: Duration,
    ttl: Duration,
    /// When each session held here last had its keys' TTL refreshed.
    touched: Mutex<HashMap<String, Instant>>,
    /// The sessions held here, to end those ended on another replica.
    sessions: OnceLock<Weak<CappedSessions>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("prefix", &self.prefix)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// A Redis operation failed or took longer than `--redis-timeout`.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// Redis answered with an error, or the connection failed.
    #[error("Redis failed: {0}")]
    Failed(#[from] redis::RedisError),
    /// No answer within the timeout.
    #[error("Redis did not answer within {0:?} (--redis-timeout)")]
    Timeout(Duration),
}

impl Shared {
    /// A link to the Redis at `options.url`. Connects lazily: a Redis that
    /// is down at start is retried at each use.
    pub fn open(options: SharedOptions) -> anyhow::Result<Arc<Self>> {
        let client = redis::Client::open(options.url.as_str())
            .with_context(|| "--redis: not a Redis URL (redis://HOST:PORT/DB)")?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(1)
            .set_max_delay(options.timeout);
        let redis = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .context("--redis: cannot set up the connection")?;
        let mut id = [0u8; 8];
        getrandom::getrandom(&mut id)
            .map_err(|error| anyhow::anyhow!("no randomness for the instance id: {error}"))?;
        Ok(Arc::new(Self {
            client,
            redis,
            prefix: options.prefix,
            instance: hex::encode(id),
            timeout: options.timeout,
            ttl: options.ttl,
            touched: Mutex::default(),
            sessions: OnceLock::new(),
        }))
    }

    /// Ends sessions of `sessions` that another replica ended.
    pub(super) fn hold(&self, sessions: &Arc<CappedSessions>) {
        let _ = self.sessions.set(Arc::downgrade(sessions));
    }

    /// The key of `name` under the prefix.
    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    /// Runs `command` within the timeout.
    async fn run<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, RedisError> {
        let mut redis = self.redis.clone();
        match tokio::time::timeout(self.timeout, command.query_async(&mut redis)).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(RedisError::Timeout(self.timeout)),
        }
    }

    /// Runs `pipe` in the background within the timeout, logging a failure.
    fn background(&self, what: &'static str, pipe: redis::Pipeline) {
        let (mut redis, timeout) = (self.redis.clone(), self.timeout);
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, pipe.query_async::<()>(&mut redis)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!("could not {what} in Redis: {error}"),
                Err(_) => tracing::warn!("could not {what} in Redis: no answer within {timeout:?}"),
            }
        });
    }

    /// Keeps session `id`'s keys alive: refreshes their TTL at most once a
    /// quarter of it, so that a busy session costs Redis a write every few
    /// minutes, not one per request.
    pub(super) fn touch(&self, id: &str) {
        let now = Instant::now();
        {
            let mut touched = self.touched.lock().unwrap_or_else(PoisonError::into_inner);
            match touched.get_mut(id) {
                Some(last) if now.duration_since(*last) < self.ttl / 4 => return,
                Some(last) => *last = now,
                None => {
                    touched.insert(id.to_owned(), now);
                }
            }
        }
        let ms = self.ttl.as_millis() as u64;
        let mut pipe = redis::pipe();
        for kind in ["session", "subs"] {
            pipe.cmd("PEXPIRE").arg(self.key(kind, id)).arg(ms).ignore();
        }
        self.background("refresh a session's TTL", pipe);
    }

    /// Session `id` is no longer held here.
    pub(super) fn forget(&self, id: &str) {
        let mut touched = self.touched.lock().unwrap_or_else(PoisonError::into_inner);
        touched.remove(id);
    }
}

/// Whether `id` can be a session id rmcp made (a UUID), before it is put
/// in a Redis key: anything else is unknown without asking Redis.
fn plausible(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
