//! The stdio workloads, driven by the rmcp client: start-up, and sequential
//! `tools/call` and `tools/list` round trips on one connection per server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientRequest, JsonObject, ListToolsRequest,
    ServerResult,
};
use rmcp::service::{Peer, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt as _};
use serde_json::json;

use crate::Plan;
use crate::servers::{Server, Setup};
use crate::stats::{Samples, rotated};

/// A connected rmcp client, with the server it started.
pub type Client = RunningService<RoleClient, ()>;

/// Tools every server serves, and the math plugin serves.
pub const TOOLS: usize = 4;

/// Launches each server `plan.starts` times and times each launch from
/// spawning the process to the end of the first `tools/list`, after the
/// handshake. One unmeasured launch of each first fills moat's compile
/// cache and the page cache, so what is measured is a warm start.
pub async fn start_up(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
) -> anyhow::Result<HashMap<Server, Vec<Duration>>> {
    let mut times: HashMap<Server, Vec<Duration>> = HashMap::new();
    for &server in servers {
        launch(setup, server).await?;
    }
    for round in 0..plan.starts {
        for server in rotated(servers, round) {
            times
                .entry(server)
                .or_default()
                .push(launch(setup, server).await?);
        }
    }
    Ok(times)
}

/// Starts `server`, lists its tools, stops it, and returns the time to the
/// listed tools.
async fn launch(setup: &Setup, server: Server) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let client = connect(setup, server, "start").await?;
    list_tools(client.peer()).await?;
    let elapsed = started.elapsed();
    client.cancel().await?;
    Ok(elapsed)
}

/// Connects an rmcp client to `server` over stdio, started for `label`.
async fn connect(setup: &Setup, server: Server, label: &str) -> anyhow::Result<Client> {
    handshake(setup, server, label, setup.stdio(server, label)?).await
}

/// Connects an rmcp client over `transport`, to `server` started for
/// `label`; if the handshake fails, the error holds the server's stderr.
pub async fn handshake(
    setup: &Setup,
    server: Server,
    label: &str,
    transport: TokioChildProcess,
) -> anyhow::Result<Client> {
    match ().serve(transport).await {
        Ok(client) => Ok(client),
        Err(error) => bail!(
            "MCP handshake with {} over stdio failed: {error}; its stderr:\n{}",
            server.name(),
            setup.log_text(server, label)
        ),
    }
}

/// Sequential `tools/call` and `tools/list` round trips, one connection per
/// server, all open at once. After `plan.warmup` calls each, every round
/// runs a batch of `plan.calls` calls on each server in turn, then a batch
/// of `plan.lists` lists; each round starts with another server.
pub async fn round_trips(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
) -> anyhow::Result<(HashMap<Server, Samples>, HashMap<Server, Samples>)> {
    let mut clients = HashMap::new();
    for &server in servers {
        let client = connect(setup, server, "stdio").await?;
        let peer = client.peer().clone();
        for _ in 0..plan.warmup {
            call_mul(&peer).await?;
        }
        for _ in 0..plan.warmup / 10 {
            list_tools(&peer).await?;
        }
        clients.insert(server, client);
    }
    let mut calls: HashMap<Server, Samples> = HashMap::new();
    let mut lists: HashMap<Server, Samples> = HashMap::new();
    for round in 0..plan.rounds {
        for server in rotated(servers, round) {
            let peer = clients[&server].peer();
            let samples = calls.entry(server).or_default();
            batch(samples, plan.calls, || call_mul(peer))
                .await
                .with_context(|| format!("tools/call on {}", server.name()))?;
        }
        for server in rotated(servers, round) {
            let peer = clients[&server].peer();
            let samples = lists.entry(server).or_default();
            batch(samples, plan.lists, || list_tools(peer))
                .await
                .with_context(|| format!("tools/list on {}", server.name()))?;
        }
    }
    for (_, client) in clients {
        client.cancel().await?;
    }
    Ok((calls, lists))
}

/// Runs `count` round trips one after another, recording each into
/// `samples`.
async fn batch<F, Fut>(samples: &mut Samples, count: usize, mut round_trip: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let began = Instant::now();
    for _ in 0..count {
        let started = Instant::now();
        round_trip().await?;
        samples.latencies.push(started.elapsed());
    }
    samples.busy += began.elapsed();
    Ok(())
}

/// One `tools/call` of `mul` with x = 25, y = 17, checked to answer 425.
async fn call_mul(peer: &Peer<RoleClient>) -> anyhow::Result<()> {
    let arguments: JsonObject = [("x".into(), json!(25)), ("y".into(), json!(17))]
        .into_iter()
        .collect();
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(
        CallToolRequestParams::new("mul").with_arguments(arguments),
    ));
    match peer.send_request(request).await? {
        ServerResult::CallToolResult(result) => {
            let answer = result
                .structured_content
                .as_ref()
                .and_then(|content| content.get("result"))
                .and_then(|result| result.as_f64());
            ensure!(
                result.is_error != Some(true) && answer == Some(425.0),
                "mul answered {result:?}"
            );
            Ok(())
        }
        other => bail!("tools/call answered {other:?}"),
    }
}

/// One `tools/list`, sent as a request of its own (the client's
/// `list_tools` may answer from its cache), checked to list the four tools.
async fn list_tools(peer: &Peer<RoleClient>) -> anyhow::Result<()> {
    let request = ClientRequest::ListToolsRequest(ListToolsRequest::default());
    match peer.send_request(request).await? {
        ServerResult::ListToolsResult(list) => {
            ensure!(list.tools.len() == TOOLS, "tools/list answered {list:?}");
            Ok(())
        }
        other => bail!("tools/list answered {other:?}"),
    }
}
