//! One pub/sub channel, `PREFIX events`, that every replica publishes to
//! and listens on: the lists changed, a resource changed, a session was
//! ended. A replica ignores its own messages (each names its instance) and
//! republishes nothing it heard, so nothing loops. Messages are untrusted:
//! at most [`MAX_EVENT_BYTES`], versioned JSON; an unknown kind or version
//! is ignored with a log line.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use rmcp::transport::streamable_http_server::SessionId;
use rmcp::transport::streamable_http_server::session::SessionManager as _;
use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::Shared;
use crate::clients::Subscriptions;

/// The largest message acted on; a resource URI and a few names fit in a
/// fraction of it. Stops a message from making the host parse megabytes.
pub const MAX_EVENT_BYTES: usize = 16 * 1024;

/// The version of [`Message`] this host writes and reads.
const VERSION: u32 = 1;

/// How long to wait before listening again after the channel was lost.
const RELISTEN: Duration = Duration::from_secs(1);

/// What one replica tells the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The plugins changed (its watcher reloaded, or the policy): rescan.
    Lists,
    /// A plugin said the resource at `uri` changed.
    Resource {
        /// The resource.
        uri: String,
    },
    /// The session was ended with `DELETE`: end it here too.
    Ended {
        /// The session's id.
        session: String,
    },
    /// A kind this host does not know (from a newer one): ignored.
    #[serde(other)]
    Unknown,
}

/// An event and who sent it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Message {
    /// [`VERSION`].
    pub v: u32,
    /// The sending replica's instance id.
    pub from: String,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// What a payload heard on the channel asks this replica to do.
pub fn parse(payload: &[u8], own: &str) -> Option<Event> {
    if payload.len() > MAX_EVENT_BYTES {
        tracing::warn!("ignored a replica message over {MAX_EVENT_BYTES} bytes");
        return None;
    }
    match serde_json::from_slice::<Message>(payload) {
        Ok(message) if message.from == own => None,
        Ok(message) if message.v != VERSION => {
            tracing::warn!("ignored a replica message of version {}", message.v);
            None
        }
        Ok(Message {
            event: Event::Unknown,
            ..
        }) => {
            tracing::warn!("ignored a replica message of an unknown kind");
            None
        }
        Ok(message) => Some(message.event),
        Err(error) => {
            tracing::warn!("ignored a replica message that does not parse: {error}");
            None
        }
    }
}

/// Listens on the channel while it lives.
pub struct Listening(JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Shared {
    fn channel(&self) -> String {
        format!("{}events", self.prefix)
    }

    /// Tells the other replicas of `event`, in the background.
    pub fn publish(&self, event: Event) {
        let message = Message {
            v: VERSION,
            from: self.instance.clone(),
            event,
        };
        let Ok(payload) = serde_json::to_vec(&message) else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.cmd("PUBLISH")
            .arg(self.channel())
            .arg(payload)
            .ignore();
        self.background("tell the other replicas", pipe);
    }

    /// This replica's lists changed (not because of a message): tells the
    /// other replicas to rescan their plugins.
    pub fn lists_changed(&self) {
        self.publish(Event::Lists);
    }

    /// Listens on the channel: tells `subscriptions` of resource changes,
    /// calls `rescan` when the lists changed elsewhere (and after the
    /// channel was lost for a while, since messages may have been missed),
    /// and ends sessions ended elsewhere. Reconnects for as long as it lives.
    pub fn listen<F, Fut>(self: &Arc<Self>, subscriptions: Subscriptions, rescan: F) -> Listening
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let shared = self.clone();
        Listening(tokio::spawn(async move {
            let mut lost = false;
            loop {
                match shared.subscribe().await {
                    Ok(mut pubsub) => {
                        tracing::info!("listening to the other replicas on {}", shared.channel());
                        if lost {
                            rescan().await;
                        }
                        let mut messages = pubsub.on_message();
                        while let Some(message) = messages.next().await {
                            let Some(event) = parse(message.get_payload_bytes(), &shared.instance)
                            else {
                                continue;
                            };
                            shared.act(event, &subscriptions, &rescan).await;
                        }
                        tracing::warn!("lost the channel to the other replicas; listening again");
                    }
                    Err(error) => {
                        tracing::warn!("cannot listen to the other replicas: {error}");
                    }
                }
                lost = true;
                tokio::time::sleep(RELISTEN).await;
            }
        }))
    }

    /// A pub/sub connection subscribed to the channel, within the timeout.
    async fn subscribe(&self) -> anyhow::Result<redis::aio::PubSub> {
        let connect = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(self.channel()).await?;
            anyhow::Ok(pubsub)
        };
        tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| anyhow::anyhow!("Redis did not answer within {:?}", self.timeout))?
    }

    async fn act<F, Fut>(&self, event: Event, subscriptions: &Subscriptions, rescan: &F)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ()>,
    {
        match event {
            Event::Lists => rescan().await,
            Event::Resource { uri } => subscriptions.deliver(uri).await,
            Event::Ended { session } => {
                let sessions = self.sessions.get().and_then(std::sync::Weak::upgrade);
                if let Some(sessions) = sessions
                    && sessions.holds(&session)
                {
                    tracing::info!("ended a session that was ended on another replica");
                    let _ = sessions.close_session(&SessionId::from(session)).await;
                }
            }
            Event::Unknown => {}
        }
    }
}
