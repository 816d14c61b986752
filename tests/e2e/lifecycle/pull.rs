//! `moat pull https://…#sha256=…` (and `http://` to loopback with
//! `--plain-http`) against a real HTTP server on loopback serving the math
//! plugin: a pinned digest is pulled, locked and served; every refusal
//! leaves the plugin directory as it was. (The registry tests, OCI,
//! signatures and TLS, are in tests/python/test_pull*.py.)

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::harness::{PluginDir, Served, moat_blocking, moat_command, text};

/// An HTTP server on loopback serving `/math.wasm`, `/poisoned.wasm` and
/// `/garbage.wasm`, counting the requests it answers; on a thread of its
/// own, stopped when dropped.
struct Origin {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Origin {
    fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, port) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let port = listener.local_addr().unwrap().port();
                bound.send(port).unwrap();
                let serve = |file: &'static str| {
                    let hits = counted.clone();
                    move || {
                        hits.fetch_add(1, Ordering::SeqCst);
                        let bytes =
                            std::fs::read(file).unwrap_or_else(|_| b"not wasm at all".to_vec());
                        async move { bytes }
                    }
                };
                let app = axum::Router::new()
                    .route(
                        "/math.wasm",
                        axum::routing::get(serve(moat_test_artifacts::MATH)),
                    )
                    .route(
                        "/poisoned.wasm",
                        axum::routing::get(serve(moat_test_artifacts::POISONED)),
                    )
                    .route("/garbage.wasm", axum::routing::get(serve("/nonexistent")))
                    .route("/stall.wasm", axum::routing::get(stall(counted.clone())))
                    .route("/v2/", axum::routing::get(|| async { "{}" }))
                    .route(
                        "/v2/moat/endless/manifests/{tag}",
                        axum::routing::get(endless),
                    )
                    .route(
                        "/v2/moat/foreign/manifests/{tag}",
                        axum::routing::get(move || foreign(port)),
                    );
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Self {
            port: port.recv().unwrap(),
            hits,
            stop: Some(stop),
        }
    }

    /// `http://127.0.0.1:PORT/FILE#sha256=HEX`, pinned to `pinned`'s bytes.
    fn url(&self, file: &str, pinned: &[u8]) -> String {
        format!(
            "http://127.0.0.1:{}/{file}#sha256={:x}",
            self.port,
            Sha256::digest(pinned)
        )
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A handler that sends the first KiB of a component and then nothing.
fn stall(
    hits: Arc<AtomicUsize>,
) -> impl Fn() -> std::future::Ready<axum::body::Body> + Clone + Send + 'static {
    move || {
        hits.fetch_add(1, Ordering::SeqCst);
        let first = futures::stream::once(async {
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![0u8; 1024]))
        });
        let stream = futures::StreamExt::chain(first, futures::stream::pending());
        std::future::ready(axum::body::Body::from_stream(stream))
    }
}

/// A hostile registry's manifest whose one layer the registry does not
/// hold (its blob is 404) but names a "foreign" URL elsewhere for it.
async fn foreign(port: u16) -> ([(&'static str, &'static str); 1], String) {
    let math = math();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.wasm.config.v0+json",
            "digest": format!("sha256:{:x}", Sha256::digest(b"{}")),
            "size": 2,
        },
        "layers": [{
            "mediaType": "application/wasm",
            "digest": format!("sha256:{:x}", Sha256::digest(&math)),
            "size": math.len(),
            "urls": [format!("http://127.0.0.1:{port}/math.wasm")],
        }],
    });
    let content_type = ("Content-Type", "application/vnd.oci.image.manifest.v1+json");
    ([content_type], manifest.to_string())
}

/// A hostile registry's manifest: spaces, without end.
async fn endless() -> axum::body::Body {
    let chunk = bytes::Bytes::from(vec![b' '; 64 << 10]);
    let stream = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    axum::body::Body::from_stream(stream)
}

impl Drop for Origin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn math() -> Vec<u8> {
    std::fs::read(moat_test_artifacts::MATH).unwrap()
}

fn pull(dir: &Path, args: &[&str]) -> Output {
    moat_blocking()
        .arg("pull")
        .arg("--plugins")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The names in `dir`, sorted (temporary directories included).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a refusal: exit 2, `reason` on stderr, nothing on stdout.
fn assert_refused(output: &Output, reason: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert!(
        stderr(output).contains(reason),
        "no `{reason}` in: {}",
        stderr(output)
    );
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[tokio::test]
async fn a_pinned_url_is_pulled_locked_and_served() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("math.wasm", &math());
    let output = pull(dir.path(), &["--plain-http", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    let digest = format!("sha256:{:x}", Sha256::digest(math()));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("pulled math from {url} ({digest}) pinned by digest\n")
    );
    assert_eq!(std::fs::read(dir.path().join("math.wasm")).unwrap(), math());
    assert_eq!(listing(dir.path()), ["math.wasm", "moat.lock"]);
    let lock: toml::Table = std::fs::read_to_string(dir.path().join("moat.lock"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(lock["math"]["wasm"].as_str(), Some(digest.as_str()));
    let source = &lock["math"]["source"];
    assert_eq!(source["reference"].as_str(), Some(url.as_str()));
    assert_eq!(source["digest"].as_str(), Some(digest.as_str()));
    assert!(source.get("key").is_none(), "{source}");

    let mut serve = moat_command();
    serve
        .arg("serve")
        .arg("--plugins")
        .arg(dir.path())
        .arg("--locked");
    let served = Served::start_command(serve).await;
    let result = served.call("mul", json!({"x": 25, "y": 17})).await;
    assert_eq!(text(&result), r#"{"result":425}"#);
    served.stop().await;
}

#[test]
fn a_wrong_digest_is_refused_naming_both_and_nothing_is_written() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("math.wasm", b"other bytes");
    let output = pull(dir.path(), &["--plain-http", &url]);
    let got = format!("sha256:{:x}", Sha256::digest(math()));
    let pinned = format!("sha256:{:x}", Sha256::digest(b"other bytes"));
    assert_refused(
        &output,
        &format!("have digest {got}, not the pinned {pinned}"),
    );
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn plain_http_without_the_flag_is_refused_before_connecting() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let output = pull(dir.path(), &[&origin.url("math.wasm", &math())]);
    assert_refused(&output, "plain http:// is allowed only to a loopback host");
    assert_eq!(origin.hits(), 0);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn plain_http_is_refused_off_loopback_even_with_the_flag() {
    let dir = PluginDir::empty();
    let pinned = format!("{:x}", Sha256::digest(math()));
    let url = format!("http://localhost.evil.example/math.wasm#sha256={pinned}");
    let output = pull(dir.path(), &["--plain-http", &url]);
    assert_refused(&output, "plain http:// is allowed only to a loopback host");
    let oci = "oci://registry.example/moat/math:1.0";
    let output = pull(dir.path(), &["--plain-http", "--allow-unsigned", oci]);
    assert_refused(&output, "--plain-http reaches only a loopback registry");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_server_that_is_down_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = PluginDir::empty();
    let pinned = format!("{:x}", Sha256::digest(math()));
    let url = format!("http://127.0.0.1:{port}/math.wasm#sha256={pinned}");
    let output = pull(dir.path(), &["--plain-http", &url]);
    assert_refused(&output, &format!("cannot reach 127.0.0.1:{port}"));
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_component_over_max_size_is_refused() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("math.wasm", &math());
    let output = pull(dir.path(), &["--plain-http", "--max-size", "1000", &url]);
    assert_refused(&output, "over the limit of 1000 bytes (--max-size)");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn an_existing_plugin_with_other_bytes_is_kept_unless_update() {
    let origin = Origin::start();
    let dir = PluginDir::empty().copy(moat_test_artifacts::POISONED, "math.wasm");
    let url = origin.url("math.wasm", &math());
    let output = pull(dir.path(), &["--plain-http", &url]);
    assert_refused(&output, "exists with other bytes");
    assert!(
        stderr(&output).contains("give --update"),
        "{}",
        stderr(&output)
    );
    let poisoned = std::fs::read(moat_test_artifacts::POISONED).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("math.wasm")).unwrap(),
        poisoned
    );
    assert_eq!(listing(dir.path()), ["math.wasm"]);

    let output = pull(dir.path(), &["--plain-http", "--update", &url]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(dir.path().join("math.wasm")).unwrap(), math());
}

#[test]
fn a_component_that_does_not_load_or_fails_the_lint_is_not_written() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let garbage = origin.url("garbage.wasm", b"not wasm at all");
    let output = pull(dir.path(), &["--plain-http", &garbage]);
    assert_refused(&output, "the component does not load");
    let poisoned = std::fs::read(moat_test_artifacts::POISONED).unwrap();
    let url = origin.url("poisoned.wasm", &poisoned);
    let output = pull(dir.path(), &["--plain-http", &url]);
    assert_refused(&output, "lint finding(s) of severity error");
    assert!(
        stderr(&output).contains("lint: plugin `poisoned`"),
        "{}",
        stderr(&output)
    );
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn one_refused_reference_does_not_stop_the_others() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let good = origin.url("math.wasm", &math());
    let bad = origin.url("math.wasm", b"other");
    let output = pull(dir.path(), &["--plain-http", &bad, &good]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&format!("cannot pull {bad}")));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with(&format!("pulled math from {good}")),
        "{stdout}"
    );
    assert_eq!(listing(dir.path()), ["math.wasm", "moat.lock"]);
}

#[test]
fn an_oci_pull_without_a_trust_policy_is_refused_before_connecting() {
    let dir = PluginDir::empty();
    let output = pull(dir.path(), &["oci://127.0.0.1:9/moat/math:1.0"]);
    assert_refused(&output, "no trust policy to verify its signature");
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_name_that_would_leave_the_directory_is_refused() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("math.wasm", &math());
    let output = pull(dir.path(), &["--plain-http", "--name", "../math", &url]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is not a plugin name"),
        "{}",
        stderr(&output)
    );
    assert_eq!(origin.hits(), 0);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn ctrl_c_mid_download_leaves_nothing_behind() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("stall.wasm", &math());
    let child = moat_blocking()
        .args(["pull", "--plain-http", "--plugins"])
        .arg(dir.path())
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A safety net only: the download has begun once the server is asked.
    let started = std::time::Instant::now();
    while origin.hits() == 0 {
        assert!(started.elapsed().as_secs() < 60, "moat pull never asked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(listing(dir.path()).len(), 1, "{:?}", listing(dir.path()));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn locked_fetches_what_the_lock_records_and_writes_no_lock() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let url = origin.url("math.wasm", &math());
    assert!(pull(dir.path(), &["--plain-http", &url]).status.success());
    let lock = std::fs::read(dir.path().join("moat.lock")).unwrap();
    std::fs::remove_file(dir.path().join("math.wasm")).unwrap();

    let output = pull(dir.path(), &["--plain-http", "--locked"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with(&format!("pulled math from {url}"))
    );
    assert_eq!(std::fs::read(dir.path().join("math.wasm")).unwrap(), math());
    assert_eq!(std::fs::read(dir.path().join("moat.lock")).unwrap(), lock);

    // A reference the lock does not record is refused under --locked.
    let other = format!(
        "http://127.0.0.1:{}/poisoned.wasm#sha256={:x}",
        origin.port,
        Sha256::digest(std::fs::read(moat_test_artifacts::POISONED).unwrap())
    );
    let output = pull(dir.path(), &["--plain-http", "--locked", &other]);
    assert_refused(&output, "is not a pulled plugin of");
    assert_eq!(listing(dir.path()), ["math.wasm", "moat.lock"]);
}

#[test]
fn update_or_locked_without_a_lock_says_there_is_nothing_to_pull() {
    let dir = PluginDir::empty();
    let output = pull(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing to pull"),
        "{}",
        stderr(&output)
    );
    let output = pull(dir.path(), &["--update"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("records no pulled plugin"),
        "{}",
        stderr(&output)
    );
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn an_endless_manifest_from_a_hostile_registry_is_cut_off() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let reference = format!("oci://127.0.0.1:{}/moat/endless:1.0", origin.port);
    let output = pull(
        dir.path(),
        &["--plain-http", "--allow-unsigned", &reference],
    );
    assert_refused(&output, "(the largest manifest read)");
    assert!(
        stderr(&output).contains("more than 4194304 bytes"),
        "{}",
        stderr(&output)
    );
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_layer_is_fetched_only_from_the_registry_never_from_urls_it_names() {
    let origin = Origin::start();
    let dir = PluginDir::empty();
    let reference = format!("oci://127.0.0.1:{}/moat/foreign:1.0", origin.port);
    let output = pull(
        dir.path(),
        &["--plain-http", "--allow-unsigned", &reference],
    );
    assert_refused(&output, "cannot fetch the blob");
    // The manifest's `urls` were not followed: /math.wasm was never asked.
    assert_eq!(origin.hits(), 0);
    assert!(listing(dir.path()).is_empty());
}
