//! A session another replica opened, restored here (`--redis`): its
//! resource subscriptions are re-made, each checked against the policy
//! again for the identity presenting it.

use rmcp::RoleServer;
use rmcp::model::Extensions;
use rmcp::service::NotificationContext;
use rmcp::transport::streamable_http_server::SessionRestoreMarker;

use super::server::MoatServer;
use crate::access::Gate;
use crate::auth::Identity;

/// The header an HTTP session's requests carry.
const SESSION_HEADER: &str = "mcp-session-id";

/// The HTTP session a request belongs to, if it came over HTTP in one.
pub(super) fn http_session(extensions: &Extensions) -> Option<&str> {
    extensions
        .get::<http::request::Parts>()?
        .headers
        .get(SESSION_HEADER)?
        .to_str()
        .ok()
}

impl MoatServer {
    /// After rmcp replays `initialize` for a restored session: subscribes
    /// it again to the resources it was subscribed to, that the identity
    /// presenting it may read. Nothing for a new session.
    pub(super) async fn resubscribe(&self, context: &NotificationContext<RoleServer>) {
        let Some(marker) = context.extensions.get::<SessionRestoreMarker>() else {
            return;
        };
        let Some(relay) = self.subscriptions.relay() else {
            return;
        };
        let id = marker.id.to_string();
        let gate: Gate = self.access.gate(&Identity::of(&context.extensions));
        let kept = relay.kept(&id).await;
        let count = kept.len();
        for uri in kept {
            if self.may_read(&gate, &uri) {
                let peer = context.peer.clone();
                self.subscriptions
                    .subscribe(self.session.id, uri, peer, None);
            }
        }
        tracing::info!(
            "restored a session from the shared store with {count} resource subscription(s)"
        );
    }
}
