//! The metrics, recorded and rendered without a server.

use std::sync::Arc;
use std::time::Duration;

use crate::metrics::{Metrics, Probe};
use crate::observe::{Call, Caller, Event, Method, Outcome, Sink, Wants};

fn call(plugin: &str, tool: &str) -> Call {
    let mut call = Call::new(
        Method::CallTool,
        (plugin.into(), "sha256:00".into()),
        tool,
        &serde_json::json!({}),
        Wants::default(),
        Caller::default(),
    );
    call.took = Duration::from_millis(3);
    call
}

/// The value of the series `series` (name and labels as rendered).
fn value(metrics: &Metrics, series: &str) -> Option<f64> {
    metrics
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn tool_calls_are_counted_by_plugin_tool_and_outcome() {
    let metrics = Metrics::new().unwrap();
    let calls = metrics.calls();
    for _ in 0..3 {
        calls.call(&call("math", "add"), &Outcome::Ok);
    }
    calls.call(&call("math", "add"), &Outcome::ToolError);
    let timeout = Outcome::Failed {
        limit: Some("timeout"),
        message: "slow".into(),
    };
    calls.call(&call("hostile", "spin"), &timeout);
    let series = |tool: &str, plugin: &str, outcome: &str| {
        format!(
            r#"moat_tool_calls_total{{gen_ai_tool_name="{tool}",outcome="{outcome}",plugin="{plugin}"}}"#
        )
    };
    assert_eq!(value(&metrics, &series("add", "math", "ok")), Some(3.0));
    assert_eq!(
        value(&metrics, &series("add", "math", "tool_error")),
        Some(1.0)
    );
    assert_eq!(
        value(&metrics, &series("spin", "hostile", "failed")),
        Some(1.0)
    );
    assert_eq!(
        value(&metrics, r#"moat_limits_hit_total{limit="timeout"}"#),
        Some(1.0)
    );
    let count = r#"moat_tool_call_duration_seconds_count{gen_ai_tool_name="add",plugin="math"}"#;
    assert_eq!(value(&metrics, count), Some(4.0));
}

#[test]
fn a_removed_plugin_takes_its_series_with_it() {
    let metrics = Metrics::new().unwrap();
    let calls = metrics.calls();
    calls.call(&call("math", "add"), &Outcome::Ok);
    assert!(metrics.render().contains(r#"plugin="math""#));
    let path = std::path::Path::new("/plugins/math.wasm");
    calls.event(&Event::Removed {
        plugin: "math",
        path,
    });
    assert!(!metrics.render().contains(r#"plugin="math""#));
    assert_eq!(value(&metrics, "moat_plugin_removals_total"), Some(1.0));
    // Counted afresh if it comes back.
    calls.call(&call("math", "add"), &Outcome::Ok);
    let series = r#"moat_tool_calls_total{gen_ai_tool_name="add",outcome="ok",plugin="math"}"#;
    assert_eq!(value(&metrics, series), Some(1.0));
}

#[test]
fn methods_the_host_does_not_know_are_counted_as_other() {
    let metrics = Metrics::new().unwrap();
    let methods = metrics.methods();
    assert_eq!(methods.label(Some("tools/list")), "tools/list");
    assert_eq!(methods.label(Some("evil/{random}")), "other");
    assert_eq!(methods.label(None), "other");
    methods.received("tools/list");
    methods.answered("tools/list", Duration::from_micros(150), None);
    methods.received("other");
    methods.answered("other", Duration::from_micros(10), Some(-32601));
    let text = metrics.render();
    assert!(!text.contains("evil"));
    assert_eq!(
        value(
            &metrics,
            r#"moat_requests_total{mcp_method_name="tools/list"}"#
        ),
        Some(1.0)
    );
    let errors =
        r#"moat_request_errors_total{mcp_method_name="other",rpc_response_status_code="-32601"}"#;
    assert_eq!(value(&metrics, errors), Some(1.0));
    let bucket = r#"mcp_server_operation_duration_seconds_bucket{mcp_method_name="tools/list",le="0.00025"}"#;
    assert_eq!(value(&metrics, bucket), Some(1.0));
}

#[test]
fn probes_are_read_when_scraped() {
    let metrics = Metrics::new().unwrap();
    let level = Arc::new(std::sync::atomic::AtomicI64::new(2));
    let read = level.clone();
    let probe = Probe::value("moat_test_level", "a test gauge", move || {
        read.load(std::sync::atomic::Ordering::Relaxed)
    });
    metrics.probe(probe.unwrap()).unwrap();
    assert_eq!(value(&metrics, "moat_test_level"), Some(2.0));
    level.store(5, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(value(&metrics, "moat_test_level"), Some(5.0));
    let again = Probe::value("moat_test_level", "again", || 0).unwrap();
    assert!(metrics.probe(again).is_err());
}

#[test]
fn identities_past_the_cap_are_counted_as_other() {
    use crate::metrics::identities::{MAX_IDENTITIES, OTHERS};
    let metrics = Metrics::new().unwrap();
    let methods = metrics.methods();
    for round in 0..2 {
        for n in 0..MAX_IDENTITIES + 44 {
            methods.acted_for(&format!("user-{n}"));
        }
        methods.acted_for("local");
        assert_eq!(
            value(
                &metrics,
                r#"moat_identity_requests_total{identity="user-0"}"#
            ),
            Some(f64::from(round + 1))
        );
    }
    let text = metrics.render();
    let named = text
        .lines()
        .filter(|line| line.starts_with("moat_identity_requests_total{identity=\"user-"))
        .count();
    assert_eq!(named, MAX_IDENTITIES);
    // 44 past the cap, twice, and `local` (also past it) twice.
    let others = format!(r#"moat_identity_requests_total{{identity="{OTHERS}"}}"#);
    assert_eq!(value(&metrics, &others), Some(90.0));
}
