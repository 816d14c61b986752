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
use crate::cpu::cpu_time;
use crate::servers::{Server, Setup};
use crate::stats::{Samples, rotated};

/// A connected rmcp client, with the server it started.
pub type Client = RunningService<RoleClient, ()>;

/// A server left out of the run, and why.
pub struct Skipped {
    /// The server.
    pub server: Server,
    /// Why, from its answer or its stderr.
    pub reason: String,
}

/// Launches each server once, unmeasured, and checks that it lists its
/// tools; this fills moat's compile caches and the page cache, so that the
/// start-ups measured after it are warm. A plain-component server whose
/// moat binary does not serve its component is left out (and returned with
/// the reason); any other failure is an error.
pub async fn probe(
    setup: &Setup,
    servers: &[Server],
) -> anyhow::Result<(Vec<Server>, Vec<Skipped>)> {
    let (mut kept, mut skipped) = (Vec::new(), Vec::new());
    for &server in servers {
        let what = match server.is_moat() {
            true => "unmeasured, fills its compile cache",
            false => "unmeasured",
        };
        eprintln!("  {:>13}: first launch, {what}", server.name());
        match launch(setup, server).await {
            Ok(_) => kept.push(server),
            Err(error) if server.is_plain() => {
                let log = setup.log_text(server, "start");
                // moat's line "... ERROR ...: skipped PATH: why", from "skipped".
                let refusal = log
                    .lines()
                    .find_map(|line| Some(&line[line.find("skipped ")?..]));
                let reason =
                    refusal.map_or_else(|| format!("{error:#}"), |line| format!("moat {line}"));
                eprintln!("  {:>13}: left out: {reason}", server.name());
                skipped.push(Skipped { server, reason });
            }
            Err(error) => return Err(error),
        }
    }
    Ok((kept, skipped))
}

/// Launches each server `plan.starts` times and times each launch from
/// spawning the process to the end of the first `tools/list`, after the
/// handshake. Run after [`probe`], so what is measured is a warm start.
pub async fn start_up(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
) -> anyhow::Result<HashMap<Server, Vec<Duration>>> {
    let mut times: HashMap<Server, Vec<Duration>> = HashMap::new();
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
    let (client, _) = connect(setup, server, "start").await?;
    list_tools(client.peer(), server).await?;
    let elapsed = started.elapsed();
    client.cancel().await?;
    Ok(elapsed)
}

/// Connects an rmcp client to `server` over stdio, started for `label`,
/// and returns it with the server's process id.
async fn connect(
    setup: &Setup,
    server: Server,
    label: &str,
) -> anyhow::Result<(Client, Option<u32>)> {
    let transport = setup.stdio(server, label)?;
    let pid = transport.id();
    Ok((handshake(setup, server, label, transport).await?, pid))
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
/// of `plan.lists` lists; each round starts with another server. The
/// server's CPU time is read before and after each batch.
pub async fn round_trips(
    setup: &Setup,
    servers: &[Server],
    plan: &Plan,
) -> anyhow::Result<(HashMap<Server, Samples>, HashMap<Server, Samples>)> {
    let mut clients = HashMap::new();
    for &server in servers {
        let (client, pid) = connect(setup, server, "stdio").await?;
        let peer = client.peer().clone();
        for _ in 0..plan.warmup {
            call_mul(&peer).await?;
        }
        for _ in 0..plan.warmup / 10 {
            list_tools(&peer, server).await?;
        }
        clients.insert(server, (client, pid));
    }
    let mut calls: HashMap<Server, Samples> = HashMap::new();
    let mut lists: HashMap<Server, Samples> = HashMap::new();
    for round in 0..plan.rounds {
        for server in rotated(servers, round) {
            let (client, pid) = &clients[&server];
            let samples = calls.entry(server).or_default();
            batch(samples, plan.calls, *pid, || call_mul(client.peer()))
                .await
                .with_context(|| format!("tools/call on {}", server.name()))?;
        }
        for server in rotated(servers, round) {
            let (client, pid) = &clients[&server];
            let samples = lists.entry(server).or_default();
            batch(samples, plan.lists, *pid, || {
                list_tools(client.peer(), server)
            })
            .await
            .with_context(|| format!("tools/list on {}", server.name()))?;
        }
    }
    for (_, (client, _)) in clients {
        client.cancel().await?;
    }
    Ok((calls, lists))
}

/// Runs `count` round trips one after another, recording each into
/// `samples`, with the CPU time that the server, process `pid`, used.
async fn batch<F, Fut>(
    samples: &mut Samples,
    count: usize,
    pid: Option<u32>,
    mut round_trip: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let cpu_before = pid.and_then(cpu_time);
    let began = Instant::now();
    for _ in 0..count {
        let started = Instant::now();
        round_trip().await?;
        samples.latencies.push(started.elapsed());
    }
    samples.busy += began.elapsed();
    let cpu_after = pid.and_then(cpu_time);
    samples.add_cpu(
        cpu_after
            .zip(cpu_before)
            .map(|(after, before)| after - before),
    );
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
/// `list_tools` may answer from its cache), checked to list `mul` and, where
/// the set is known, exactly `server`'s tools.
async fn list_tools(peer: &Peer<RoleClient>, server: Server) -> anyhow::Result<()> {
    let request = ClientRequest::ListToolsRequest(ListToolsRequest::default());
    match peer.send_request(request).await? {
        ServerResult::ListToolsResult(list) => {
            let mut names: Vec<&str> = list.tools.iter().map(|tool| &*tool.name).collect();
            names.sort_unstable();
            ensure!(
                names.contains(&"mul"),
                "{} listed {names:?}, without mul",
                server.name()
            );
            if let Some(tools) = server.tools() {
                let mut expected = tools.to_vec();
                expected.sort_unstable();
                ensure!(
                    names == expected,
                    "{} listed {names:?} where {expected:?} were expected",
                    server.name()
                );
            }
            Ok(())
        }
        other => bail!("tools/list answered {other:?}"),
    }
}
