//! `--metrics`: a real Prometheus server (Debian's `prometheus`, started
//! here on loopback) scrapes moat, and its HTTP API returns the tool-call
//! counters the test's calls produced.
//!
//! Without `/usr/bin/prometheus` the Prometheus test is skipped with a
//! loud message, unless `MOAT_REQUIRE_PROMETHEUS` is set (the Makefile sets
//! it, and installs the package), in which case it fails.

use std::io::Read as _;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{PluginDir, Served, moat_command, tool_error};

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// How long Prometheus may take to start and scrape: a safety net, never a
/// measure of speed.
const PATIENCE: Duration = Duration::from_secs(90);

/// A free loopback port (bound, then let go).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET http://127.0.0.1:PORT/PATH` with an optional bearer token: the
/// status and the body.
fn get(port: u16, path: &str, token: Option<&str>) -> (u16, String) {
    use std::io::Write as _;
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        tcp,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

/// Prometheus, scraping `target` every second with `token_file` as the
/// bearer credentials, storing in `dir`; ended when dropped.
struct Prometheus {
    child: Child,
    port: u16,
}

impl Prometheus {
    fn start(dir: &Path, target: u16, token_file: &Path) -> Self {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: moat\n    \
                 authorization:\n      credentials_file: {}\n    static_configs:\n      \
                 - targets: ['127.0.0.1:{target}']\n",
                token_file.display()
            ),
        )
        .unwrap();
        let port = free_port();
        let child = std::process::Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        Self { child, port }
    }

    /// The samples of instant query `query`, once it has any: each as its
    /// labels and value.
    fn query(&self, query: &str, wanted: usize) -> Vec<(Value, f64)> {
        let path = format!("/api/v1/query?query={}", encode(query));
        let started = Instant::now();
        loop {
            let answered = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok();
            if answered {
                let (status, body) = get(self.port, &path, None);
                if status == 200 {
                    let body: Value = serde_json::from_str(&body).unwrap();
                    let samples: Vec<(Value, f64)> = body["data"]["result"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|sample| {
                            let value = sample["value"][1].as_str().unwrap().parse().unwrap();
                            (sample["metric"].clone(), value)
                        })
                        .collect();
                    if samples.len() >= wanted {
                        return samples;
                    }
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "Prometheus returned no {wanted} samples for {query} within {PATIENCE:?}"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether the Prometheus test can run; panics if it must and cannot.
fn prometheus_available() -> bool {
    if Path::new(PROMETHEUS).exists() {
        return true;
    }
    assert!(
        std::env::var_os("MOAT_REQUIRE_PROMETHEUS").is_none(),
        "MOAT_REQUIRE_PROMETHEUS is set but {PROMETHEUS} is missing: apt-get install prometheus (make prometheus)"
    );
    eprintln!(
        "\n\n!!! SKIPPED: {PROMETHEUS} is missing, so no real Prometheus scraped moat. \
         Install it with `make prometheus` (apt-get install prometheus); \
         MOAT_REQUIRE_PROMETHEUS=1 makes this a failure. !!!\n\n"
    );
    false
}

/// moat over stdio with math and hostile (timeout 300ms), metrics at
/// `port` behind `token_file`.
async fn serve_with_metrics(dir: &PluginDir, port: u16, token_file: &Path) -> Served {
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--metrics")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--metrics-token-file")
        .arg(token_file);
    Served::start_command(command).await
}

#[tokio::test]
async fn prometheus_scrapes_the_tool_calls_made() {
    if !prometheus_available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let token_file = scratch.path().join("token");
    std::fs::write(&token_file, "scrape-secret\n").unwrap();
    let dir = PluginDir::with_math().with_hostile("[limits]\ntimeout = \"300ms\"\n");
    let port = free_port();
    let served = serve_with_metrics(&dir, port, &token_file).await;
    const ADDS: usize = 7;
    for x in 0..ADDS {
        let result = served.call("add", json!({"x": x, "y": 1})).await;
        assert_eq!(result.is_error, Some(false));
    }
    // A tool error of the plugin's own, and a run stopped by its timeout.
    tool_error(&served, "div", json!({"x": 1, "y": 0})).await;
    let stopped = tool_error(&served, "spin", json!({})).await;
    assert!(stopped.contains("time limit"), "{stopped}");

    let prometheus = Prometheus::start(scratch.path(), port, &token_file);
    let samples = prometheus.query(
        r#"moat_tool_calls_total{plugin="math",gen_ai_tool_name="add",outcome="ok"}"#,
        1,
    );
    assert_eq!(samples.len(), 1, "{samples:?}");
    assert_eq!(samples[0].1, ADDS as f64, "{samples:?}");
    let errors = prometheus.query(r#"moat_tool_calls_total{outcome!="ok"} > 0"#, 2);
    let found: Vec<(String, String, String, f64)> = errors
        .iter()
        .map(|(labels, value)| {
            let label = |name: &str| labels[name].as_str().unwrap().to_owned();
            (
                label("plugin"),
                label("gen_ai_tool_name"),
                label("outcome"),
                *value,
            )
        })
        .collect();
    assert!(
        found.contains(&("math".into(), "div".into(), "tool_error".into(), 1.0)),
        "{found:?}"
    );
    assert!(
        found.contains(&("hostile".into(), "spin".into(), "failed".into(), 1.0)),
        "{found:?}"
    );
    let limits = prometheus.query(r#"moat_limits_hit_total{limit="timeout"}"#, 1);
    assert_eq!(limits[0].1, 1.0);
    // Every method, not only those reaching plugins.
    let initialize = prometheus.query(r#"moat_requests_total{mcp_method_name="initialize"}"#, 1);
    assert_eq!(initialize[0].1, 1.0);
    let calls = prometheus.query(
        r#"mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"}"#,
        1,
    );
    assert_eq!(calls[0].1, (ADDS + 2) as f64);
    let loaded = prometheus.query("moat_plugins_loaded", 1);
    assert_eq!(loaded[0].1, 2.0);
    served.stop().await;
}

#[tokio::test]
async fn the_metrics_listener_wants_its_token_and_a_loopback_host() {
    let scratch = tempfile::tempdir().unwrap();
    let token_file = scratch.path().join("token");
    std::fs::write(&token_file, "scrape-secret").unwrap();
    let dir = PluginDir::with_math();
    let port = free_port();
    let served = serve_with_metrics(&dir, port, &token_file).await;
    served.call("add", json!({"x": 1, "y": 2})).await;
    let wanted = r#"moat_tool_calls_total{gen_ai_tool_name="add",outcome="ok",plugin="math"} 1"#;
    let (status, body) =
        tokio::task::spawn_blocking(move || get(port, "/metrics", Some("scrape-secret")))
            .await
            .unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.lines().any(|line| line == wanted), "{body}");
    for token in [None, Some("wrong")] {
        let (status, _) = tokio::task::spawn_blocking(move || get(port, "/metrics", token))
            .await
            .unwrap();
        assert_eq!(status, 401, "token {token:?}");
    }
    served.stop().await;
}

#[tokio::test]
async fn without_a_token_the_metrics_refuse_another_host_and_other_addresses() {
    let dir = PluginDir::with_math();
    let port = free_port();
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--metrics")
        .arg(format!("127.0.0.1:{port}"));
    let served = Served::start_command(command).await;
    let rebound = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            tcp,
            "GET /metrics HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        tcp.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
    let (status, body) = tokio::task::spawn_blocking(move || get(port, "/metrics", None))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("moat_plugins_loaded 1"), "{body}");
    served.stop().await;

    // A non-loopback address needs a token, as --http does.
    let output = moat_command()
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--metrics")
        .arg("0.0.0.0:0")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--metrics-token-file"), "{stderr}");
}

#[tokio::test]
async fn instances_in_use_are_read_when_scraped() {
    let scratch = tempfile::tempdir().unwrap();
    let token_file = scratch.path().join("token");
    std::fs::write(&token_file, "scrape-secret").unwrap();
    let dir = PluginDir::with_math().with_hostile("[limits]\ntimeout = \"60s\"\n");
    let port = free_port();
    let served = serve_with_metrics(&dir, port, &token_file).await;
    let busy = r#"moat_instances_in_use{plugin="hostile"} 1"#;
    let idle = r#"moat_instances_in_use{plugin="hostile"} 0"#;
    let scrape = move || get(port, "/metrics", Some("scrape-secret")).1;
    let body = tokio::task::spawn_blocking(scrape).await.unwrap();
    assert!(body.lines().any(|line| line == idle), "{body}");
    let watch = async {
        let started = Instant::now();
        loop {
            let body = tokio::task::spawn_blocking(scrape).await.unwrap();
            if body.lines().any(|line| line == busy) {
                return;
            }
            assert!(started.elapsed() < PATIENCE, "never saw {busy}:\n{body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // The call runs for 5 s, during which a scrape sees its slot taken.
    let call = served.call("sleep", json!({"ms": 5000}));
    let (result, ()) = tokio::join!(call, watch);
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let body = tokio::task::spawn_blocking(scrape).await.unwrap();
    assert!(body.lines().any(|line| line == idle), "{body}");
    served.stop().await;
}
