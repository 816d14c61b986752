//! rmcp's [`SessionStore`] in Redis: `PREFIX session:ID` holds what rmcp
//! needs to replay `initialize` and the session's owner; `PREFIX subs:ID`
//! the set of resources it is subscribed to. Both expire after the session
//! idle timeout unused ([`Shared::touch`] refreshes them).
//!
//! rmcp calls [`SessionStore::store`] after a new session's `initialize`,
//! [`SessionStore::load`] when a request names a session this replica does
//! not hold, and [`SessionStore::delete`] on `DELETE`. Each runs inside the
//! request's [`sessions::scoped`] scope, which knows the requester: a
//! session is handed only to its owner, and only its owner can end it.

use std::sync::Arc;

use rmcp::transport::streamable_http_server::SessionId;
use rmcp::transport::streamable_http_server::session::SessionManager as _;
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};
use serde::{Deserialize, Serialize};

use super::super::refusal::Refusal;
use super::super::sessions::{self, CappedSessions};
use super::events::Event;
use super::{Shared, plausible};
use crate::clients::{MAX_SUBSCRIPTIONS_PER_SESSION, Relay};

/// The most bytes a stored session may take: an `initialize`'s params are
/// a few hundred bytes; a value past this is refused, not parsed.
pub const MAX_SESSION_BYTES: usize = 64 * 1024;

/// The longest resource URI kept with a session.
const MAX_URI_BYTES: usize = 4096;

/// What is kept of a session, versioned.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    v: u32,
    /// Whom the session belongs to (`None`: no credential was required).
    owner: Option<String>,
    state: SessionState,
}

/// The version of [`Stored`] this host writes and reads.
const VERSION: u32 = 1;

/// Sessions in Redis, for the sessions of this replica.
pub struct RedisSessions {
    shared: Arc<Shared>,
    sessions: Arc<CappedSessions>,
}

impl RedisSessions {
    /// The store of `shared`, for `sessions`.
    pub fn new(shared: Arc<Shared>, sessions: Arc<CappedSessions>) -> Self {
        shared.hold(&sessions);
        Self { shared, sessions }
    }

    /// The stored session `id`, if any, strictly parsed; `Err` if Redis
    /// failed (the request is then refused with a 503 naming Redis).
    async fn read(&self, id: &str) -> Result<Option<Stored>, SessionStoreError> {
        if !plausible(id) {
            return Ok(None);
        }
        let mut command = redis::cmd("GETRANGE");
        command
            .arg(self.shared.key("session", id))
            .arg(0)
            .arg(MAX_SESSION_BYTES);
        let bytes: Vec<u8> = self.shared.run(&command).await.inspect_err(|_| {
            sessions::refuse(Refusal::Redis {
                timeout: self.shared.timeout,
            })
        })?;
        Ok(parse(&bytes))
    }
}

/// A stored session, if `bytes` is one this host wrote (at most
/// [`MAX_SESSION_BYTES`], version [`VERSION`], no unknown fields).
fn parse(bytes: &[u8]) -> Option<Stored> {
    if bytes.is_empty() {
        return None;
    }
    if bytes.len() > MAX_SESSION_BYTES {
        tracing::warn!("ignored a stored session over {MAX_SESSION_BYTES} bytes");
        return None;
    }
    match serde_json::from_slice::<Stored>(bytes) {
        Ok(stored) if stored.v == VERSION => Some(stored),
        Ok(stored) => {
            tracing::warn!("ignored a stored session of version {}", stored.v);
            None
        }
        Err(error) => {
            tracing::warn!("ignored a stored session that does not parse: {error}");
            None
        }
    }
}

/// Whether the requester is `owner`.
fn is_requester(owner: Option<&str>) -> bool {
    sessions::requester().as_deref() == owner
}

#[async_trait::async_trait]
impl SessionStore for RedisSessions {
    async fn load(&self, id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let Some(stored) = self.read(id).await? else {
            return Ok(None);
        };
        if !is_requester(stored.owner.as_deref()) {
            tracing::warn!("refused to restore a session another identity holds");
            return Ok(None);
        }
        self.shared.touch(id);
        Ok(Some(stored.state))
    }

    async fn store(&self, id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let stored = Stored {
            v: VERSION,
            owner: sessions::requester().map(|owner| owner.to_string()),
            state: state.clone(),
        };
        let mut command = redis::cmd("SET");
        command
            .arg(self.shared.key("session", id))
            .arg(serde_json::to_vec(&stored)?)
            .arg("PX")
            .arg(self.shared.ttl.as_millis() as u64);
        if let Err(error) = self.shared.run::<()>(&command).await {
            // A session no other replica can restore would break the
            // moment its replica goes: refuse it now, and say why.
            tracing::warn!("refused a new session: {error}");
            sessions::refuse(Refusal::Redis {
                timeout: self.shared.timeout,
            });
            let _ = self.sessions.close_session(&SessionId::from(id)).await;
            return Err(error.into());
        }
        self.shared.touch(id);
        Ok(())
    }

    async fn delete(&self, id: &str) -> Result<(), SessionStoreError> {
        let Some(stored) = self.read(id).await? else {
            return Ok(());
        };
        if !is_requester(stored.owner.as_deref()) {
            tracing::warn!("refused to end a session another identity holds");
            return Ok(());
        }
        let mut command = redis::cmd("DEL");
        command
            .arg(self.shared.key("session", id))
            .arg(self.shared.key("subs", id));
        self.shared.run::<()>(&command).await?;
        sessions::ended();
        self.shared.publish(Event::Ended {
            session: id.to_owned(),
        });
        Ok(())
    }
}

impl Relay for Shared {
    fn resource_updated(&self, uri: &str) {
        self.publish(Event::Resource {
            uri: uri.to_owned(),
        });
    }

    fn subscribed(&self, session: &str, uri: &str) {
        if !plausible(session) || uri.len() > MAX_URI_BYTES {
            return;
        }
        let key = self.key("subs", session);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SADD")
            .arg(&key)
            .arg(uri)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(self.ttl.as_millis() as u64)
            .ignore();
        self.background("keep a subscription", pipe);
    }

    fn unsubscribed(&self, session: &str, uri: &str) {
        if !plausible(session) {
            return;
        }
        let mut pipe = redis::pipe();
        pipe.cmd("SREM")
            .arg(self.key("subs", session))
            .arg(uri)
            .ignore();
        self.background("drop a subscription", pipe);
    }

    fn kept(&self, session: &str) -> std::pin::Pin<Box<dyn Future<Output = Vec<String>> + Send>> {
        let mut command = redis::cmd("SRANDMEMBER");
        command
            .arg(self.key("subs", session))
            .arg(MAX_SUBSCRIPTIONS_PER_SESSION);
        let (mut redis, timeout) = (self.redis.clone(), self.timeout);
        Box::pin(async move {
            let read =
                tokio::time::timeout(timeout, command.query_async::<Vec<Vec<u8>>>(&mut redis));
            match read.await {
                Ok(Ok(uris)) => uris
                    .into_iter()
                    .filter(|uri| uri.len() <= MAX_URI_BYTES)
                    .filter_map(|uri| String::from_utf8(uri).ok())
                    .collect(),
                Ok(Err(error)) => {
                    tracing::warn!("a restored session lost its subscriptions: {error}");
                    Vec::new()
                }
                Err(_) => {
                    tracing::warn!(
                        "a restored session lost its subscriptions: Redis did not answer within {timeout:?}"
                    );
                    Vec::new()
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_SESSION_BYTES, parse};

    const INIT: &str = r#"{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}"#;

    #[test]
    fn only_what_this_host_writes_is_read_back() {
        let good = format!(r#"{{"v":1,"owner":"alice","state":{{"initialize_params":{INIT}}}}}"#);
        assert_eq!(
            parse(good.as_bytes()).unwrap().owner.as_deref(),
            Some("alice")
        );
        for bad in [
            format!(r#"{{"v":2,"owner":null,"state":{{"initialize_params":{INIT}}}}}"#),
            format!(
                r#"{{"v":1,"owner":null,"admin":true,"state":{{"initialize_params":{INIT}}}}}"#
            ),
            r#"{"v":1,"owner":null}"#.to_owned(),
            "garbage".to_owned(),
            String::new(),
        ] {
            assert!(parse(bad.as_bytes()).is_none(), "{bad}");
        }
        let mut big = good.into_bytes();
        big.resize(MAX_SESSION_BYTES + 1, b' ');
        assert!(parse(&big).is_none());
    }
}
