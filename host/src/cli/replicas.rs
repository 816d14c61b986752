//! `moat serve --redis`: what ties the replica's own reloads to the other
//! replicas (the Redis side is `transport::http::shared`).

use std::path::Path;
use std::sync::Arc;

use crate::plugins::{LiveRegistry, Loader, watcher};
use crate::protocol::MoatServer;
use crate::transport::http::shared::Shared;
use crate::transport::http::shared::events::Listening;

/// Relays `server`'s resource changes through `shared`, and listens to the
/// other replicas: a list change heard there rescans `dir` (the reload
/// path of `--watch`) and tells this replica's clients only if its lists
/// changed; nothing heard is published again.
pub fn listen(
    shared: &Arc<Shared>,
    server: &MoatServer,
    dir: &Path,
    loader: &Loader,
    registry: &LiveRegistry,
) -> Listening {
    server.subscriptions().relay_through(shared.clone());
    let (server, dir, loader, registry) = (
        server.clone(),
        dir.to_owned(),
        loader.clone(),
        registry.clone(),
    );
    shared.listen(server.subscriptions().clone(), move || {
        let (server, dir, loader, registry) = (
            server.clone(),
            dir.clone(),
            loader.clone(),
            registry.clone(),
        );
        async move {
            if watcher::rescan(&dir, &loader, &registry).await {
                server.tools_changed().await;
            }
        }
    })
}

/// This replica's lists changed: tells the others, if there are any.
pub fn publish(shared: &Option<Arc<Shared>>) {
    if let Some(shared) = shared {
        shared.lists_changed();
    }
}
