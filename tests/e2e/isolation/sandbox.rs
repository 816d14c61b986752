//! Hostile plugins against the sandbox: each attack ends in a clear tool
//! error within its limit, nothing escapes, and math keeps answering on the
//! same connection.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{PluginDir, Served, math_still_works, text, tool_error};

#[tokio::test]
async fn an_endless_loop_is_stopped_at_its_timeout() {
    let dir = PluginDir::with_math().with_hostile("[limits]\ntimeout = \"1s\"\n");
    let served = Served::start(&dir).await;
    let started = Instant::now();
    let message = tool_error(&served, "spin", json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        message.contains("plugin `hostile`") && message.contains("time limit of 1 s"),
        "{message}"
    );
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn a_call_blocked_in_a_host_call_is_stopped_at_its_timeout() {
    let dir = PluginDir::with_math().with_hostile("[limits]\ntimeout = \"500ms\"\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "sleep", json!({"ms": 60_000})).await;
    assert!(message.contains("time limit of 500 ms"), "{message}");
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn unbounded_allocation_is_stopped_at_the_memory_limit() {
    let dir = PluginDir::with_math().with_hostile("[limits]\nmemory = \"16 MiB\"\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "hog", json!({})).await;
    assert!(message.contains("memory limit of 16 MiB"), "{message}");
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn stack_overflow_and_panic_are_tool_errors() {
    let served = Served::start(&PluginDir::with_math().with_hostile("")).await;
    let message = tool_error(&served, "recurse", json!({"depth": 100_000_000u64})).await;
    assert!(
        message.contains("crashed") && message.contains("stack overflow"),
        "{message}"
    );
    let message = tool_error(&served, "panic", json!({"message": "the sky fell"})).await;
    assert!(
        message.contains("crashed") && message.contains("the sky fell"),
        "{message}"
    );
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn files_are_reachable_only_inside_a_grant() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("hello.txt"), "hello from the host").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", data.path().join("passwd")).unwrap();
    let manifest = format!(
        "[capabilities]\nfiles = [{{ host = {:?}, guest = \"/data\" }}]\n",
        data.path().display().to_string()
    );
    let served = Served::start(&PluginDir::with_math().with_hostile(&manifest)).await;

    let read = served
        .call("read", json!({"path": "/data/hello.txt"}))
        .await;
    assert_eq!(
        read.structured_content.unwrap()["text"],
        "hello from the host"
    );
    for escape in [
        "/etc/passwd",
        "/data/../etc/passwd",
        "/data/../../../etc/passwd",
        "/data/passwd",
    ] {
        let message = tool_error(&served, "read", json!({"path": escape})).await;
        assert!(
            message.starts_with(&format!("cannot read {escape}")),
            "{message}"
        );
        assert!(!message.contains("root:"), "{escape} leaked: {message}");
    }
    let message = tool_error(
        &served,
        "write",
        json!({"path": "/data/new.txt", "text": "x"}),
    )
    .await;
    assert!(
        message.starts_with("cannot write /data/new.txt"),
        "{message}"
    );
    assert!(
        !data.path().join("new.txt").exists(),
        "a read-only grant was written to"
    );
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn a_read_write_grant_can_be_written() {
    let data = tempfile::tempdir().unwrap();
    let manifest = format!(
        "[capabilities]\nfiles = [{{ host = {:?}, guest = \"/out\", access = \"read-write\" }}]\n",
        data.path().display().to_string()
    );
    let served = Served::start(&PluginDir::with_math().with_hostile(&manifest)).await;
    let result = served
        .call("write", json!({"path": "/out/note.txt", "text": "written"}))
        .await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(
        std::fs::read_to_string(data.path().join("note.txt")).unwrap(),
        "written"
    );
    served.stop().await;
}

#[tokio::test]
async fn only_granted_environment_variables_are_visible() {
    let dir =
        PluginDir::with_math().with_hostile("[capabilities]\nenv = { GREETING = \"hello\" }\n");
    let served = Served::start_with_env(&dir, &[("MOAT_TEST_SECRET", "hunter2")]).await;
    let result = served.call("env", json!({})).await;
    assert_eq!(
        result.structured_content.unwrap()["vars"],
        json!({"GREETING": "hello"})
    );
    served.stop().await;

    let served = Served::start_with_env(
        &PluginDir::empty().with_hostile(""),
        &[("MOAT_TEST_SECRET", "hunter2")],
    )
    .await;
    let result = served.call("env", json!({})).await;
    assert_eq!(result.structured_content.unwrap()["vars"], json!({}));
    served.stop().await;
}

/// A loopback TCP server that answers every connection with `reply`.
async fn listener(reply: &'static [u8]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(reply).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn sockets_reach_only_granted_destinations() {
    let granted = listener(b"").await;
    let other = listener(b"").await;
    let manifest = format!("[capabilities]\nnetwork = [\"127.0.0.1:{granted}\"]\n");
    let served = Served::start(&PluginDir::with_math().with_hostile(&manifest)).await;
    let result = served
        .call("connect", json!({"addr": format!("127.0.0.1:{granted}")}))
        .await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    for denied in [
        format!("127.0.0.1:{other}"),
        format!("localhost:{other}"),
        "10.0.0.1:80".into(),
    ] {
        let message = tool_error(&served, "connect", json!({"addr": denied})).await;
        assert!(
            message.starts_with(&format!("cannot connect to {denied}")),
            "{message}"
        );
    }
    served.stop().await;

    let served = Served::start(&PluginDir::empty().with_hostile("")).await;
    let message = tool_error(
        &served,
        "connect",
        json!({"addr": format!("127.0.0.1:{granted}")}),
    )
    .await;
    assert!(message.starts_with("cannot connect"), "{message}");
    served.stop().await;
}

#[tokio::test]
async fn http_reaches_only_granted_hosts() {
    const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello";
    let granted = listener(OK).await;
    let other = listener(OK).await;
    let dir = PluginDir::with_math()
        .copy(moat_test_artifacts::FETCH, "fetch.wasm")
        .write(
            "fetch.toml",
            format!("[capabilities]\nnetwork = [\"127.0.0.1:{granted}\"]\n").as_bytes(),
        );
    let served = Served::start(&dir).await;
    let result = served
        .call(
            "fetch",
            json!({"url": format!("http://127.0.0.1:{granted}/")}),
        )
        .await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let body = result.structured_content.unwrap();
    assert_eq!(
        (body["status"].as_u64(), body["body"].as_str()),
        (Some(200), Some("hello"))
    );
    let message = tool_error(
        &served,
        "fetch",
        json!({"url": format!("http://127.0.0.1:{other}/")}),
    )
    .await;
    assert!(message.contains("not allowed"), "{message}");
    let log = served.stop().await;
    assert!(
        log.contains(&format!("denied an HTTP request to 127.0.0.1:{other}")),
        "{log}"
    );
}

#[tokio::test]
async fn printing_megabytes_never_reaches_the_protocol_stream() {
    let served = Served::start(&PluginDir::with_math().with_hostile("")).await;
    let result = served.call("shout", json!({"bytes": 8 << 20})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    math_still_works(&served).await;
    let log = served.stop().await;
    assert!(
        log.contains("plugin=\"hostile\"") || log.contains("plugin=hostile"),
        "{log}"
    );
    assert!(log.contains("dropped"), "the overflow is reported: {log}");
    assert!(
        log.len() < 1 << 20,
        "the log stays bounded: {} bytes",
        log.len()
    );
}

#[tokio::test]
async fn a_result_that_breaks_its_output_schema_is_a_tool_error() {
    let dir = PluginDir::with_math().with_hostile("");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "lie", json!({})).await;
    assert!(
        message.contains("the structured content of `lie` does not match its output schema"),
        "{message}"
    );
    assert!(
        message.contains("\"result\" is a required property"),
        "names what is wrong: {message}"
    );
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn oversized_results_are_refused() {
    let dir = PluginDir::with_math().with_hostile("[limits]\nmax_output = \"64 KiB\"\n");
    let served = Served::start(&dir).await;
    let message = tool_error(&served, "huge", json!({"bytes": 1 << 20})).await;
    assert!(
        message.contains("over its output limit of 65536 bytes"),
        "{message}"
    );
    let message = tool_error(&served, "huge", json!({"bytes": 300u64 << 20})).await;
    assert!(message.contains("memory limit"), "{message}");
    let result = served.call("huge", json!({"bytes": 1000})).await;
    assert_eq!(text(&result).len(), 1002);
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn hostile_calls_in_parallel_do_not_fail_good_calls() {
    let dir =
        PluginDir::with_math().with_hostile("[limits]\ntimeout = \"2s\"\nmemory = \"32 MiB\"\n");
    let served = Served::start(&dir).await;
    let attacks = [
        ("spin", json!({})),
        ("hog", json!({})),
        ("recurse", json!({"depth": 100_000_000u64})),
        ("panic", json!({"message": "boom"})),
        ("sleep", json!({"ms": 60_000})),
        ("read", json!({"path": "/etc/passwd"})),
        ("huge", json!({"bytes": 100u64 << 20})),
    ];
    // Printing is not an error, but it runs alongside the attacks.
    let shout = served.call("shout", json!({"bytes": 1 << 20}));
    let hostile = join_all(
        attacks
            .iter()
            .map(|(tool, args)| served.call(tool, args.clone())),
    );
    let good = join_all((0..64).map(|i| served.call("add", json!({"x": i, "y": 1}))));
    let (hostile, good, shout) = tokio::join!(hostile, good, shout);
    assert_ne!(shout.is_error, Some(true), "{shout:?}");
    for ((tool, _), result) in attacks.iter().zip(&hostile) {
        assert_eq!(result.is_error, Some(true), "{tool}: {result:?}");
    }
    for (i, result) in good.iter().enumerate() {
        assert_eq!(
            result.structured_content.as_ref().unwrap()["result"],
            (i + 1) as f64
        );
    }
    served.stop().await;
}

#[tokio::test]
async fn every_call_runs_in_an_instance_nothing_ran_in_before() {
    let served = Served::start(&PluginDir::with_math().with_hostile("")).await;
    let earlier = |result: &rmcp::model::CallToolResult| {
        assert_ne!(result.is_error, Some(true), "{result:?}");
        result.structured_content.as_ref().unwrap()["earlier"].clone()
    };
    // One after another (each call may take the instance made ahead of time
    // after the one before), with a crash in between, then many at once.
    for i in 0..20 {
        let result = served
            .call("remember", json!({"text": format!("secret {i}")}))
            .await;
        assert_eq!(earlier(&result), json!([]), "call {i}");
        if i == 10 {
            tool_error(&served, "panic", json!({"message": "mid-way"})).await;
        }
    }
    let at_once = join_all(
        (0..16).map(|i| served.call("remember", json!({"text": format!("parallel {i}")}))),
    )
    .await;
    for result in &at_once {
        assert_eq!(earlier(result), json!([]));
    }
    served.stop().await;
}

#[tokio::test]
async fn a_plugin_cannot_shadow_another_plugins_tool() {
    let dir = PluginDir::with_math().copy(moat_test_artifacts::DUPE, "dupe.wasm");
    let served = Served::start(&dir).await;
    let names: Vec<String> = served
        .client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.into_owned())
        .collect();
    assert_eq!(names.iter().filter(|n| *n == "add").count(), 1, "{names:?}");
    assert!(names.contains(&"dupe_only".to_owned()), "{names:?}");
    // Plugins load in file-name order, so `dupe` came first and keeps `add`
    // (its `add` answers x - y); math's other tools are still served.
    let result = served.call("add", json!({"x": 2, "y": 3})).await;
    assert_eq!(result.structured_content.unwrap()["result"], -1.0);
    let result = served.call("mul", json!({"x": 2, "y": 3})).await;
    assert_eq!(result.structured_content.unwrap()["result"], 6.0);
    let log = served.stop().await;
    assert!(
        log.contains("tool `add` of plugin `math` is not served: plugin `dupe` already serves"),
        "{log}"
    );
}

#[tokio::test]
async fn a_bad_manifest_skips_its_plugin_with_file_line_and_key() {
    let dir = PluginDir::with_math().with_hostile("[limits]\nmemroy = \"1 MiB\"\n");
    let served = Served::start(&dir).await;
    let tools = served.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 4, "only math is served");
    let log = served.stop().await;
    assert!(
        log.contains("hostile.toml") && log.contains("line 2") && log.contains("memroy"),
        "{log}"
    );
}

#[tokio::test]
async fn the_files_sample_reads_its_granted_directory() {
    let dir = PluginDir::empty()
        .copy(moat_test_artifacts::FILES, "files.wasm")
        .with_bundle(moat_test_artifacts::FILES_BUNDLE);
    let served = Served::start(&dir).await;
    let listing = served.call("list", json!({"path": "/data"})).await;
    let entries = listing.structured_content.unwrap()["entries"].clone();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "hello.txt"),
        "{entries}"
    );
    let read = served
        .call("read", json!({"path": "/data/hello.txt"}))
        .await;
    assert_ne!(read.is_error, Some(true), "{read:?}");
    let message = tool_error(&served, "read", json!({"path": "/etc/passwd"})).await;
    assert!(!message.contains("root:"), "{message}");
    served.stop().await;
}

#[tokio::test]
async fn a_prefix_lets_two_plugins_serve_the_same_names() {
    let dir = PluginDir::with_math()
        .copy(moat_test_artifacts::DUPE, "dupe.wasm")
        .write("dupe.toml", b"[tools]\nprefix = \"dupe\"\n");
    let served = Served::start(&dir).await;
    let result = served.call("add", json!({"x": 2, "y": 3})).await;
    assert_eq!(
        result.structured_content.unwrap()["result"],
        5.0,
        "math's add"
    );
    let result = served.call("dupe_add", json!({"x": 2, "y": 3})).await;
    assert_eq!(
        result.structured_content.unwrap()["result"],
        -1.0,
        "dupe's add"
    );
    served.stop().await;
}

#[tokio::test]
async fn calls_past_max_concurrency_wait_for_a_slot_within_their_timeout() {
    let manifest = "[limits]\nmax_concurrency = 1\ntimeout = \"1s\"\n";
    let served = Served::start(&PluginDir::with_math().with_hostile(manifest)).await;
    // The first call holds the only slot until its timeout at 1 s. The second
    // (a 300 ms sleep, started at 0.2 s) would end at 0.5 s if it ran at
    // once; waiting for the slot, it starts at 1 s and meets its own
    // deadline at 1.2 s. Waiting counts toward the timeout.
    let (first, second) = tokio::join!(served.call("sleep", json!({"ms": 5_000})), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        served.call("sleep", json!({"ms": 300})).await
    });
    assert!(text(&first).contains("time limit of 1 s"), "{first:?}");
    assert!(text(&second).contains("time limit of 1 s"), "{second:?}");
    // Once the slot is free, calls go through again.
    let result = served.call("echo", json!({"text": "hi"})).await;
    assert_eq!(result.structured_content.unwrap()["text"], "hi");
    served.stop().await;
}

#[tokio::test]
async fn long_log_messages_are_cut() {
    let served = Served::start(&PluginDir::with_math().with_hostile("")).await;
    let result = served.call("log", json!({"bytes": 1 << 20})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    let log = served.stop().await;
    let line = log
        .lines()
        .find(|l| l.contains("[cut]"))
        .expect("a cut log message");
    assert!(line.len() < 5 << 10, "{} bytes", line.len());
}
