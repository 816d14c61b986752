//! Capped sessions: rmcp's [`LocalSessionManager`] behind a count of who
//! holds how many.
//!
//! Each session of a 2025-11-25 (or earlier) client costs the host about
//! 50 KB and a task until it is closed or idles out, and rmcp creates one for
//! every `initialize`, with no limit: one client making thousands a second
//! grows the host by gigabytes. [`CappedSessions`] refuses a new session once
//! the host holds `max_sessions`, or the requester's token holds
//! `max_per_token`, and expires idle ones after `idle_timeout`.
//!
//! rmcp's [`SessionManager`] sees neither the request nor the requester, and
//! can answer only "created" or an error rmcp turns into a 500. So each
//! request that may create or end a session runs [`scoped`], which carries
//! the requester's [`Owner`] in to the manager through a task-local and
//! carries the outcome back out: a refusal becomes a 503 or 429 with a
//! JSON-RPC error naming the cap, and a `DELETE` of a session that does not
//! exist becomes the 404 the spec requires (rmcp answers 202).

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use futures_core::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    ServerSseMessage, SessionId, SessionManager,
};

use super::refusal::{Refusal, refused};
use super::streams::{Counted, Slot, StreamSlots};

/// Who a session belongs to, for the per-token cap: today the one bearer
/// token's name, later one name per identity.
pub type Owner = Arc<str>;

/// The session limits of an HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct SessionCaps {
    /// Sessions the host holds at once, over all clients.
    pub max_sessions: usize,
    /// Sessions one bearer token holds at once (only with `--token-file`).
    pub max_per_token: usize,
    /// A session nobody has used for this long is closed.
    pub idle_timeout: Duration,
}

/// An error of [`CappedSessions`].
#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    /// A cap refused a new session.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// rmcp's session manager failed.
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

/// How many sessions are held, and by whom.
#[derive(Default)]
struct Held {
    total: usize,
    per_owner: HashMap<Owner, usize>,
    owners: HashMap<SessionId, Option<Owner>>,
}

impl Held {
    fn release(&mut self, owner: Option<&Owner>) {
        self.total -= 1;
        if let Some(owner) = owner
            && let Some(count) = self.per_owner.get_mut(owner)
        {
            *count -= 1;
            if *count == 0 {
                self.per_owner.remove(owner);
            }
        }
    }
}

/// rmcp's in-memory sessions, capped in number and expired when idle.
pub struct CappedSessions {
    local: LocalSessionManager,
    caps: SessionCaps,
    held: Mutex<Held>,
    streams: StreamSlots,
}

impl CappedSessions {
    /// No sessions yet; at most `caps` of them, and `max_streams` open
    /// `GET` streams over all of them.
    pub fn new(caps: SessionCaps, max_streams: usize) -> Self {
        let mut local = LocalSessionManager::default();
        local.session_config.keep_alive = Some(caps.idle_timeout);
        Self {
            local,
            caps,
            held: Mutex::default(),
            streams: StreamSlots::new(max_streams),
        }
    }

    /// How many sessions are held now.
    pub fn open(&self) -> usize {
        self.held().total
    }

    /// Whether a request on behalf of `owner` may use session `id`: not if
    /// another owner created it. An unknown id is left to rmcp, which
    /// answers it 404. Stops one identity that learns another's session id
    /// (from a log, a shared proxy, a guess) from reading that session's
    /// answers and notifications or acting inside it.
    pub fn may_use(&self, id: &str, owner: Option<&Owner>) -> bool {
        match self.held().owners.get(id) {
            Some(creator) => creator.as_ref() == owner,
            None => true,
        }
    }

    /// Ends every session (the host is stopping): their streams end, and
    /// their clients, told 404 by whichever replica they reach next, start
    /// anew or are restored from a shared store.
    pub async fn close_all(&self) {
        let ids: Vec<SessionId> = self.held().owners.keys().cloned().collect();
        for id in ids {
            if let Err(error) = SessionManager::close_session(self, &id).await {
                tracing::debug!("cannot end session {id}: {error}");
            }
        }
    }

    /// A slot for one more `GET` stream, or the refusal.
    fn stream_slot(&self) -> Result<Slot, Refusal> {
        self.streams.take().ok_or_else(|| {
            let refusal = Refusal::Streams {
                cap: self.streams.max(),
            };
            let _ = REQUEST.try_with(|scope| scope.refused.set(Some(refusal)));
            refusal
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        // The counts are updated in single steps; a panic cannot leave them torn.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new session for `owner`, or says which cap refuses it.
    fn reserve(&self, owner: Option<&Owner>) -> Result<(), Refusal> {
        let SessionCaps {
            max_sessions,
            max_per_token,
            idle_timeout,
        } = self.caps;
        let mut held = self.held();
        if held.total >= max_sessions {
            return Err(Refusal::Host {
                cap: max_sessions,
                idle: idle_timeout,
            });
        }
        if let Some(owner) = owner {
            let count = held.per_owner.entry(owner.clone()).or_default();
            if *count >= max_per_token {
                return Err(Refusal::Token {
                    cap: max_per_token,
                    idle: idle_timeout,
                });
            }
            *count += 1;
        }
        held.total += 1;
        Ok(())
    }
}

tokio::task_local! {
    /// The request being served, seen from inside the session manager.
    static REQUEST: Scope;
}

/// What [`scoped`] passes in to the session manager and gets back.
struct Scope {
    owner: Option<Owner>,
    refused: Cell<Option<Refusal>>,
    /// Set by `close_session`: whether the session existed.
    closed: Cell<Option<bool>>,
}

/// Serves a request that may create (`POST` without `Mcp-Session-Id`) or
/// end (`DELETE`) a session, or open a stream (`GET`), on behalf of
/// `owner`: turns a cap's refusal into a 503 (the host's caps) or 429 (the
/// token's), and a `DELETE` of an unknown session into 404.
/// `body` is the request's body, if it was read: a refusal answers its id.
pub async fn scoped(
    owner: Option<Owner>,
    body: Option<Bytes>,
    serve: impl Future<Output = Response>,
) -> Response {
    let scope = Scope {
        owner,
        refused: Cell::new(None),
        closed: Cell::new(None),
    };
    REQUEST
        .scope(scope, async {
            let response = serve.await;
            REQUEST.with(|scope| match (scope.refused.get(), scope.closed.get()) {
                (Some(refusal), _) => refused(refusal, body.as_deref()),
                (None, Some(false)) if response.status() == StatusCode::ACCEPTED => {
                    (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response()
                }
                _ => response,
            })
        })
        .await
}

impl SessionManager for CappedSessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let owner = REQUEST.try_with(|scope| scope.owner.clone()).ok().flatten();
        if let Err(refusal) = self.reserve(owner.as_ref()) {
            let _ = REQUEST.try_with(|scope| scope.refused.set(Some(refusal)));
            return Err(refusal.into());
        }
        match self.local.create_session().await {
            Ok((id, transport)) => {
                self.held().owners.insert(id.clone(), owner);
                Ok((id, transport))
            }
            Err(error) => {
                self.held().release(owner.as_ref());
                Err(error.into())
            }
        }
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.local.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.local.has_session(id).await?)
    }

    /// Called for a `DELETE`, and by rmcp whenever a session ends (closed,
    /// idle, or its client gone), so every session is released once.
    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        let found = {
            let mut held = self.held();
            match held.owners.remove(id) {
                Some(owner) => {
                    held.release(owner.as_ref());
                    true
                }
                None => false,
            }
        };
        let _ = REQUEST.try_with(|scope| scope.closed.set(Some(found)));
        Ok(self.local.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.local.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.local.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let slot = self.stream_slot()?;
        Ok(Counted::new(
            self.local.create_standalone_stream(id).await?,
            slot,
        ))
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let slot = self.stream_slot()?;
        Ok(Counted::new(
            self.local.resume(id, last_event_id).await?,
            slot,
        ))
    }
}
