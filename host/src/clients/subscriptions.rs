//! Who wants to hear about changes: sessions that subscribed to a resource
//! (`resources/subscribe`, 2025-11-25) and open `subscriptions/listen`
//! streams (2026-07-28), told when a plugin says a resource changed and, with
//! `--watch`, when the lists change.

use std::sync::{Arc, Mutex};

use rmcp::RoleServer;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{Peer, SubscriptionContext};
use tokio::sync::{broadcast, watch};

/// How many changes a slow listen stream may fall behind before it skips
/// some (it is then told the lists changed, which covers them).
const BACKLOG: usize = 64;

/// Every subscription of every connected client.
#[derive(Clone)]
pub struct Subscriptions {
    sessions: Arc<Mutex<Vec<Subscription>>>,
    streams: broadcast::Sender<Change>,
    /// Turns true when the host stops: every listen stream ends.
    closing: Arc<watch::Sender<bool>>,
}

/// One session's interest in one resource.
struct Subscription {
    session: u64,
    uri: String,
    peer: Peer<RoleServer>,
}

/// A change the listen streams hear of.
#[derive(Clone, Debug)]
enum Change {
    /// The tool, prompt or resource lists changed.
    Lists,
    /// The resource at this URI changed.
    Resource(String),
}

impl Default for Subscriptions {
    fn default() -> Self {
        Self {
            sessions: Arc::default(),
            streams: broadcast::channel(BACKLOG).0,
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

impl Subscriptions {
    /// `session` (reached through `peer`) wants to hear about `uri`.
    pub fn subscribe(&self, session: u64, uri: String, peer: Peer<RoleServer>) {
        let mut all = self.lock();
        all.retain(|s| !s.peer.is_transport_closed());
        if !all.iter().any(|s| s.session == session && s.uri == uri) {
            all.push(Subscription { session, uri, peer });
        }
    }

    /// `session` no longer wants to hear about `uri`.
    pub fn unsubscribe(&self, session: u64, uri: &str) {
        self.lock()
            .retain(|s| !(s.session == session && s.uri == uri));
    }

    /// Tells every session and stream subscribed to the resource that it
    /// changed.
    pub async fn resource_updated(&self, uri: String) {
        let peers: Vec<Peer<RoleServer>> = {
            let mut all = self.lock();
            all.retain(|s| !s.peer.is_transport_closed());
            let matching = all.iter().filter(|s| s.uri == uri);
            matching.map(|s| s.peer.clone()).collect()
        };
        for peer in peers {
            let param = ResourceUpdatedNotificationParam::new(uri.clone());
            if let Err(error) = peer.notify_resource_updated(param).await {
                tracing::debug!("a resource update did not reach a client: {error}");
            }
        }
        // No stream listening is not an error.
        let _ = self.streams.send(Change::Resource(uri));
    }

    /// Tells every listen stream that the lists changed.
    pub fn lists_changed(&self) {
        let _ = self.streams.send(Change::Lists);
    }

    /// Ends every listen stream: the host is stopping, and their clients
    /// listen again on another replica.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Serves one `subscriptions/listen` stream until the client ends it
    /// or the host stops.
    /// rmcp has acknowledged it and drops what its filter did not ask for;
    /// a resource's change is sent only if `may_read` its URI.
    pub async fn listen(&self, context: SubscriptionContext, may_read: impl Fn(&str) -> bool) {
        let mut changes = self.streams.subscribe();
        let mut closing = self.closing.subscribe();
        let sink = context.sink();
        loop {
            let change = tokio::select! {
                () = context.cancelled() => return,
                _ = closing.wait_for(|closing| *closing) => return,
                change = changes.recv() => change,
            };
            let sent = match change {
                Ok(Change::Resource(uri)) if !may_read(&uri) => continue,
                Ok(Change::Resource(uri)) => sink.notify_resource_updated(uri).await,
                Ok(Change::Lists) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Each kind the filter did not ask for is refused; fine.
                    let _ = sink.notify_tool_list_changed().await;
                    let _ = sink.notify_prompt_list_changed().await;
                    sink.notify_resource_list_changed().await
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if let Err(error) = sent {
                tracing::debug!("a listen stream missed a change: {error}");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscription>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}
