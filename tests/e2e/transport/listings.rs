//! Listings are bounded and loading does not add up (issue 12, findings 4
//! and 5): the `lister` fixture lists as many tools, as long a description
//! and as slowly as its manifest's environment says.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rmcp::ServiceError;
use rmcp::model::{ErrorCode, PaginatedRequestParams};

use crate::harness::{PluginDir, Served, math_still_works, text};
use crate::lifecycle::watched::Watched;

/// Adds the lister fixture as `NAME.wasm` with `manifest` as `NAME.toml`.
fn with_lister(dir: PluginDir, name: &str, manifest: &str) -> PluginDir {
    dir.copy(moat_test_artifacts::LISTER, &format!("{name}.wasm"))
        .write(&format!("{name}.toml"), manifest.as_bytes())
}

#[tokio::test]
async fn a_hundred_thousand_tools_are_refused_naming_the_limit() {
    let manifest = r#"
        [capabilities]
        env = { LISTER_TOOLS = "100000" }
        [limits]
        memory = "1 GiB"
        timeout = "120s"
    "#;
    let dir = with_lister(PluginDir::with_math(), "lister", manifest);
    let served = Served::start(&dir).await;
    let names = served.tool_names().await;
    assert!(!names.iter().any(|name| name == "t0"), "lister was served");
    math_still_works(&served).await;
    let log = served.stop().await;
    assert!(
        log.contains("plugin `lister` refused")
            && log.contains("1000 tools")
            && log.contains("limits.max_tools"),
        "{log}"
    );
}

#[tokio::test]
async fn a_ten_megabyte_description_is_refused_naming_the_limit() {
    let description = |bytes: u32| {
        format!(
            "[capabilities]\nenv = {{ LISTER_DESCRIPTION = \"{bytes}\" }}\n\
             [limits]\nmemory = \"256 MiB\"\n"
        )
    };
    // 10 MB: more than the host lets the plugin send at all. 100 kB: within
    // that, over the limit for one description.
    let dir = with_lister(PluginDir::with_math(), "huge", &description(10_000_000));
    let dir = with_lister(dir, "wordy", &description(100_000));
    let served = Served::start(&dir).await;
    let names = served.tool_names().await;
    assert!(
        !names.iter().any(|name| name == "t0"),
        "a lister was served"
    );
    math_still_works(&served).await;
    let log = served.stop().await;
    assert!(
        log.contains("plugin `huge` refused") && log.contains("limits.max_description"),
        "{log}"
    );
    assert!(
        log.contains("plugin `wordy` refused: tool `t0` has a description of 100000 bytes, over its limit of 16384 bytes")
            && log.contains("limits.max_description"),
        "{log}"
    );
}

#[tokio::test]
async fn listings_come_in_pages_and_each_item_once() {
    let manifest = r#"
        [capabilities]
        env = { LISTER_TOOLS = "2500", LISTER_RESOURCES = "1500", LISTER_PROMPTS = "1500" }
        [limits]
        max_tools = 2500
        max_resources = 1500
        max_prompts = 1500
    "#;
    let dir = with_lister(PluginDir::with_math(), "lister", manifest);
    let served = Served::start(&dir).await;

    let first = served.client.list_tools(None).await.unwrap();
    assert!(first.next_cursor.is_some(), "one page of every tool");
    assert!(
        first.tools.len() < 2500,
        "{} tools in one page",
        first.tools.len()
    );

    let names = served.tool_names().await;
    let unique: BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a tool was listed twice");
    for i in 0..2500 {
        assert!(unique.contains(&format!("t{i}")), "t{i} is missing");
    }
    assert!(
        unique.contains(&"mul".to_owned()),
        "math's tools are missing"
    );

    let resources = served.client.list_all_resources().await.unwrap();
    let uris: BTreeSet<String> = resources.into_iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris.len(), 1500);
    let prompts = served.client.list_all_prompts().await.unwrap();
    let prompts: BTreeSet<String> = prompts.into_iter().map(|p| p.name).collect();
    assert_eq!(prompts.len(), 1500);

    let result = served.call("t2499", serde_json::json!({})).await;
    assert_eq!(text(&result), "t2499");
    served.stop().await;
}

#[tokio::test]
async fn a_garbled_cursor_is_invalid_params_naming_it() {
    let served = Served::start(&PluginDir::with_math()).await;
    let request = PaginatedRequestParams::default().with_cursor(Some("not-a-cursor".into()));
    for result in [
        served.client.list_tools(Some(request.clone())).await.err(),
        served
            .client
            .list_prompts(Some(request.clone()))
            .await
            .err(),
        served
            .client
            .list_resources(Some(request.clone()))
            .await
            .err(),
        served
            .client
            .list_resource_templates(Some(request))
            .await
            .err(),
    ] {
        let Some(ServiceError::McpError(error)) = result else {
            panic!("a garbled cursor was accepted: {result:?}");
        };
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
        assert!(error.message.contains("not-a-cursor"), "{}", error.message);
    }
    math_still_works(&served).await;
    served.stop().await;
}

#[tokio::test]
async fn slow_listings_do_not_add_up_and_the_load_budget_skips_the_slowest() {
    let slow = |prefix: &str, ms: u32| {
        format!(
            "[tools]\nprefix = \"{prefix}\"\n[capabilities]\nenv = {{ LISTER_SLEEP_MS = \"{ms}\" }}\n\
             [limits]\ntimeout = \"60s\"\n"
        )
    };
    let mut dir = PluginDir::with_math();
    for name in ["s1", "s2", "s3"] {
        dir = with_lister(dir, name, &slow(name, 3000));
    }
    dir = with_lister(dir, "slowest", &slow("slowest", 30_000));
    let started = Instant::now();
    let served = Served::start(&dir).await;
    let waited = started.elapsed();
    // Loaded one after another, the listings alone take 3 × 3 s + 30 s.
    assert!(
        waited < Duration::from_secs(30),
        "the host took {waited:?} to serve"
    );
    math_still_works(&served).await;
    let names = served.tool_names().await;
    let log = served.stop().await;
    for served_tool in ["s1_t0", "s2_t0", "s3_t0"] {
        assert!(
            names.iter().any(|n| n == served_tool),
            "{served_tool} missing: {log}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "slowest_t0"),
        "slowest was served"
    );
    assert!(
        log.contains("slowest")
            && log.contains("load budget of 10 s")
            && log.contains("limits.load_timeout"),
        "{log}"
    );
}

#[tokio::test]
async fn a_cursor_from_before_a_reload_that_changed_the_list_is_refused() {
    let manifest = |tools: u32| {
        format!(
            "[capabilities]\nenv = {{ LISTER_TOOLS = \"{tools}\" }}\n[limits]\nmax_tools = 2500\n"
        )
    };
    let dir = with_lister(PluginDir::with_math(), "lister", &manifest(2500));
    let mut watched = Watched::start(&dir).await;
    let first = watched.client.list_tools(None).await.unwrap();
    let cursor = first.next_cursor.expect("more than one page");
    let request = PaginatedRequestParams::default().with_cursor(Some(cursor));
    // The list has not changed: the cursor still names its page.
    let second = watched.client.list_tools(Some(request.clone())).await;
    assert!(!second.unwrap().tools.is_empty());

    std::fs::write(dir.path().join("lister.toml"), manifest(2400)).unwrap();
    watched.changed().await;
    let Err(ServiceError::McpError(error)) = watched.client.list_tools(Some(request)).await else {
        panic!("a cursor of the old list was answered from the new one");
    };
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    assert!(error.message.contains("changed since"), "{}", error.message);
    let tools = watched.client.list_all_tools().await.unwrap();
    let names: BTreeSet<String> = tools.into_iter().map(|t| t.name.into()).collect();
    assert_eq!(names.len(), 2400 + 4, "every tool of the new list, once");
}
