//! `resources/subscribe`: which sessions want to hear that a resource
//! changed, for a plugin's `resource-updated` to reach them.

use std::sync::{Arc, Mutex};

use rmcp::RoleServer;
use rmcp::model::ResourceUpdatedNotificationParam;
use rmcp::service::Peer;

/// Every subscription of every connected session.
#[derive(Clone, Default)]
pub struct Subscriptions(Arc<Mutex<Vec<Subscription>>>);

struct Subscription {
    session: u64,
    uri: String,
    peer: Peer<RoleServer>,
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

    /// Tells every session subscribed to the resource that it changed.
    pub async fn notify(&self, param: ResourceUpdatedNotificationParam) {
        let peers: Vec<Peer<RoleServer>> = {
            let mut all = self.lock();
            all.retain(|s| !s.peer.is_transport_closed());
            let matching = all.iter().filter(|s| s.uri == param.uri);
            matching.map(|s| s.peer.clone()).collect()
        };
        for peer in peers {
            if let Err(error) = peer.notify_resource_updated(param.clone()).await {
                tracing::debug!("a resource update did not reach a client: {error}");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Subscription>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
