//! Who wants to hear about changes: sessions that subscribed to a resource
//! (`resources/subscribe`, 2025-11-25) and open `subscriptions/listen`
//! streams (2026-07-28), told when a plugin says a resource changed and, with
//! `--watch`, when the lists change. With `--redis`, a [`Relay`] carries
//! resource changes to the other replicas and keeps each session's
//! subscriptions where another replica can restore them.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};

use rmcp::RoleServer;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::{Peer, SubscriptionContext};
use tokio::sync::{broadcast, watch};

/// How many changes a slow listen stream may fall behind before it skips
/// some (it is then told the lists changed, which covers them).
const BACKLOG: usize = 64;

/// The most resources one session may be subscribed to at once. Each
/// subscription is held in memory (and, with `--redis`, in Redis, and
/// re-made on every replica the session moves to), so without a cap one
/// client subscribing to endless made-up URIs grows the host, and Redis,
/// without bound. More are refused with `-32602` naming this cap.
pub const MAX_PER_SESSION: usize = 256;

/// Carries changes and subscriptions to the other replicas (`--redis`).
/// Each call returns at once; the work, and its failures, are the relay's.
pub trait Relay: Send + Sync {
    /// A plugin here said the resource at `uri` changed: tell the others.
    fn resource_updated(&self, uri: &str);
    /// HTTP session `session` subscribed to `uri`: keep it with the session.
    fn subscribed(&self, session: &str, uri: &str);
    /// HTTP session `session` unsubscribed from `uri`.
    fn unsubscribed(&self, session: &str, uri: &str);
    /// The subscriptions kept with HTTP session `session` (at most
    /// [`MAX_PER_SESSION`]), to re-make when it is restored here.
    fn kept(&self, session: &str) -> Pin<Box<dyn Future<Output = Vec<String>> + Send>>;
}

/// Every subscription of every connected client.
#[derive(Clone)]
pub struct Subscriptions {
    sessions: Arc<Mutex<Vec<Subscription>>>,
    streams: broadcast::Sender<Change>,
    relay: Arc<OnceLock<Arc<dyn Relay>>>,
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
            relay: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

impl Subscriptions {
    /// Shares changes and subscriptions through `relay` from now on (set
    /// once, before serving; a second relay is ignored).
    pub fn relay_through(&self, relay: Arc<dyn Relay>) {
        let _ = self.relay.set(relay);
    }

    /// The relay, if replicas share state.
    pub fn relay(&self) -> Option<&Arc<dyn Relay>> {
        self.relay.get()
    }

    /// `session` (reached through `peer`; HTTP session `shared`, if it has
    /// one) wants to hear about `uri`. `false` if it already holds
    /// [`MAX_PER_SESSION`] subscriptions.
    pub fn subscribe(
        &self,
        session: u64,
        uri: String,
        peer: Peer<RoleServer>,
        shared: Option<&str>,
    ) -> bool {
        let mut all = self.lock();
        all.retain(|s| !s.peer.is_transport_closed());
        if all.iter().any(|s| s.session == session && s.uri == uri) {
            return true;
        }
        if all.iter().filter(|s| s.session == session).count() >= MAX_PER_SESSION {
            return false;
        }
        if let (Some(relay), Some(shared)) = (self.relay(), shared) {
            relay.subscribed(shared, &uri);
        }
        all.push(Subscription { session, uri, peer });
        true
    }

    /// `session` (HTTP session `shared`, if it has one) no longer wants to
    /// hear about `uri`.
    pub fn unsubscribe(&self, session: u64, uri: &str, shared: Option<&str>) {
        if let (Some(relay), Some(shared)) = (self.relay(), shared) {
            relay.unsubscribed(shared, uri);
        }
        self.lock()
            .retain(|s| !(s.session == session && s.uri == uri));
    }

    /// A plugin here said the resource changed: tells this replica's
    /// subscribers ([`Self::deliver`]) and, through the relay, the others'.
    pub async fn resource_updated(&self, uri: String) {
        if let Some(relay) = self.relay() {
            relay.resource_updated(&uri);
        }
        self.deliver(uri).await;
    }

    /// Tells every session and stream subscribed here to the resource that
    /// it changed.
    pub async fn deliver(&self, uri: String) {
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
