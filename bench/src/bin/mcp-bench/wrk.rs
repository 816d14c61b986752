//! The HTTP workload: stateless (2026-07-28) `tools/call` of `mul`, driven
//! by `wrk` (Debian package `wrk`) with a Lua script that POSTs the same
//! request on every keep-alive connection; and the wrk runs and Lua scripts
//! that [`crate::scaling`] drives its servers with.
//!
//! wrk runs with one thread (`-t1`), so that on a small machine it takes as
//! little CPU from the server as it can, and `--latency`, whose latency
//! distribution gives the median and the 99th percentile. Requests that
//! fail (a socket error, a timeout, a status other than 2xx or 3xx) are
//! counted as errors and reported.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::process::Command;

use crate::Plan;
use crate::http::{HttpServer, call_body, call_headers, free_port};
use crate::servers::{Server, Setup};
use crate::stats::rotated;

/// How long wrk waits for an answer before counting a timeout.
const TIMEOUT: &str = "10s";

/// The connection count the servers are warmed up at.
pub const WARMUP_CONNECTIONS: usize = 16;

/// A `wrk` that runs.
pub struct Wrk {
    program: PathBuf,
}

/// What one wrk run measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WrkRun {
    /// Requests completed per second.
    pub per_second: f64,
    /// Median latency.
    pub median: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Requests completed.
    pub requests: u64,
    /// Failed requests: socket errors, timeouts, non-2xx/3xx answers.
    pub errors: u64,
    /// The CPU time the server used during the run, if known.
    pub server_cpu: Option<Duration>,
}

/// The wrk runs of every server at one connection count.
pub struct HttpLevel {
    /// Concurrent connections.
    pub connections: usize,
    /// Each server's runs, one per round.
    pub runs: HashMap<Server, Vec<WrkRun>>,
}

impl Wrk {
    /// Checks that `program` runs, or explains how to install it.
    pub fn find(program: &Path) -> anyhow::Result<Self> {
        // `wrk --version` prints its version and exits with 1.
        match std::process::Command::new(program)
            .arg("--version")
            .output()
        {
            Ok(output) if String::from_utf8_lossy(&output.stdout).contains("wrk") => Ok(Self {
                program: program.to_owned(),
            }),
            Ok(_) => bail!("{} does not look like wrk", program.display()),
            Err(error) if error.kind() == ErrorKind::NotFound => bail!(
                "wrk is not installed; the HTTP workload needs it: `apt-get install wrk` \
                 (Debian, Ubuntu), `brew install wrk`, or pass --wrk PATH"
            ),
            Err(error) => bail!("cannot run {}: {error}", program.display()),
        }
    }

    /// Starts every server over HTTP, warms each up, then runs wrk against
    /// each in turn at every connection count, `plan.http_rounds` times.
    pub async fn measure(
        &self,
        setup: &Setup,
        servers: &[Server],
        plan: &Plan,
        temp: &Path,
    ) -> anyhow::Result<Vec<HttpLevel>> {
        let script = temp.join("call.lua");
        std::fs::write(&script, lua_script("mul"))?;
        let mut running = HashMap::new();
        for &server in servers {
            let http = setup.http(server, free_port()?).await?;
            self.run(&http, &script, WARMUP_CONNECTIONS, plan.http_warmup)
                .await?;
            running.insert(server, http);
        }
        let mut levels = Vec::new();
        for &connections in plan.connections {
            let mut runs: HashMap<Server, Vec<WrkRun>> = HashMap::new();
            for round in 0..plan.http_rounds {
                for server in rotated(servers, round) {
                    let run = self
                        .run(&running[&server], &script, connections, plan.http_duration)
                        .await?;
                    eprintln!(
                        "  {:>8} {connections:>2} connections: {:>8.0} requests/s",
                        server.name(),
                        run.per_second
                    );
                    runs.entry(server).or_default().push(run);
                }
            }
            levels.push(HttpLevel { connections, runs });
        }
        for (_, http) in running {
            http.stop().await?;
        }
        Ok(levels)
    }

    /// One wrk run of `duration` at `connections` against `http`, with the
    /// Lua script `script`.
    pub async fn run(
        &self,
        http: &HttpServer,
        script: &Path,
        connections: usize,
        duration: Duration,
    ) -> anyhow::Result<WrkRun> {
        let cpu_before = http.cpu_time();
        let output = Command::new(&self.program)
            .arg("-t1")
            .arg(format!("-c{connections}"))
            .arg(format!("-d{}s", duration.as_secs().max(1)))
            .arg("--timeout")
            .arg(TIMEOUT)
            .arg("--latency")
            .arg("-s")
            .arg(script)
            .arg(http.url())
            .output()
            .await
            .context("cannot run wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "wrk failed against {}: {}{text}",
                http.server.name(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let cpu_after = http.cpu_time();
        let mut run = parse(&text).with_context(|| format!("cannot read wrk's report:\n{text}"))?;
        run.server_cpu = cpu_after
            .zip(cpu_before)
            .map(|(after, before)| after - before);
        Ok(run)
    }
}

/// The Lua script that makes every request the same stateless `tools/call`
/// of `tool`, which wrk formats once.
fn lua_script(tool: &str) -> String {
    let mut script = String::from("wrk.method = \"POST\"\n");
    script.push_str(&format!("wrk.body = {}\n", lua_string(&call_body(tool))));
    for (name, value) in call_headers(tool) {
        script.push_str(&format!(
            "wrk.headers[\"{name}\"] = {}\n",
            lua_string(value)
        ));
    }
    script
}

/// The Lua script whose requests take turns: stateless `tools/call`s of
/// each of `tools` in order, then again from the first. wrk asks the
/// `request` function for each request; the requests are formatted once, in
/// `init`, where wrk has set the `Host` header.
pub fn turns_script(tools: &[&str]) -> String {
    let mut script = String::from("local calls = {\n");
    for tool in tools {
        let headers: Vec<String> = call_headers(tool)
            .iter()
            .map(|(name, value)| format!("[\"{name}\"] = {}", lua_string(value)))
            .collect();
        script.push_str(&format!(
            "  {{ headers = {{ {} }}, body = {} }},\n",
            headers.join(", "),
            lua_string(&call_body(tool))
        ));
    }
    script.push_str(
        "}\n\
         local requests = {}\n\
         function init(args)\n\
         \x20 for i, call in ipairs(calls) do\n\
         \x20   call.headers[\"Host\"] = wrk.headers[\"Host\"]\n\
         \x20   requests[i] = wrk.format(\"POST\", nil, call.headers, call.body)\n\
         \x20 end\n\
         end\n\
         local turn = 0\n\
         function request()\n\
         \x20 turn = turn % #requests + 1\n\
         \x20 return requests[turn]\n\
         end\n",
    );
    script
}

/// `text` as a Lua long string literal, which needs no escapes.
fn lua_string(text: &str) -> String {
    format!("[==[{text}]==]")
}

/// Reads wrk's report: `Requests/sec`, the 50 % and 99 % lines of the
/// latency distribution, the request count and the error lines.
fn parse(report: &str) -> anyhow::Result<WrkRun> {
    let mut per_second = None;
    let mut median = None;
    let mut p99 = None;
    let mut requests = None;
    let mut errors = 0;
    for line in report.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            ["Requests/sec:", rate] => per_second = Some(rate.parse()?),
            ["50%", time] => median = Some(duration(time)?),
            ["99%", time] => p99 = Some(duration(time)?),
            [count, "requests", "in", ..] => requests = Some(count.parse()?),
            ["Non-2xx", "or", "3xx", "responses:", count] => errors += count.parse::<u64>()?,
            ["Socket", "errors:", ..] => {
                // "Socket errors: connect 0, read 0, write 0, timeout 0"
                for count in words[3..].iter().step_by(2) {
                    errors += count.trim_end_matches(',').parse::<u64>()?;
                }
            }
            _ => {}
        }
    }
    Ok(WrkRun {
        per_second: per_second.context("no Requests/sec")?,
        median: median.context("no 50% latency")?,
        p99: p99.context("no 99% latency")?,
        requests: requests.context("no request count")?,
        errors,
        server_cpu: None,
    })
}

/// A wrk time such as `91.00us`, `1.25ms`, `2.00s` or `1.00m`.
fn duration(text: &str) -> anyhow::Result<Duration> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .with_context(|| format!("no unit in {text}"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse()?;
    let nanos_per_unit = match unit {
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => bail!("unknown unit in {text}"),
    };
    Ok(Duration::from_nanos(
        (number * nanos_per_unit).round() as u64
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 1s test @ http://127.0.0.1:40000/mcp
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.61ms  269.47us   4.47ms   82.11%
    Req/Sec     9.94k   352.04     10.37k    80.00%
  Latency Distribution
     50%    1.55ms
     75%    1.70ms
     90%    1.91ms
     99%    2.53ms
  9891 requests in 1.00s, 3.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   9881.12
Transfer/sec:      3.00MB
";

    #[test]
    fn reads_a_wrk_report() {
        let run = parse(REPORT).unwrap();
        assert_eq!(
            run,
            WrkRun {
                per_second: 9881.12,
                median: Duration::from_micros(1550),
                p99: Duration::from_micros(2530),
                requests: 9891,
                errors: 7,
                server_cpu: None,
            }
        );
        assert_eq!(duration("91.00us").unwrap(), Duration::from_micros(91));
    }

    #[test]
    fn each_turn_names_its_tool_in_the_header() {
        let script = turns_script(&["mul", "m2_mul"]);
        let calls: Vec<&str> = script.lines().filter(|l| l.contains("body =")).collect();
        assert_eq!(calls.len(), 2);
        for (call, tool) in calls.iter().zip(["mul", "m2_mul"]) {
            assert!(call.contains(&format!(r#"["Mcp-Name"] = [==[{tool}]==]"#)));
            assert!(call.contains(&format!(r#""name":"{tool}""#)));
        }
        assert!(script.contains("turn = turn % #requests + 1"));
    }
}
