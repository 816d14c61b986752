//! `moat serve` held to JSON-RPC 2.0 framing, line by line: what comes
//! before `initialize`, ids it cannot answer, params that do not fit,
//! oversized lines, and duplicate ids in flight.

use serde_json::{Value, json};

use crate::harness::PluginDir;
use crate::transport::raw_stdio::Raw;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#;

fn assert_error(reply: &Value, code: i64, id: &Value) {
    assert_eq!(reply["error"]["code"], code, "{reply}");
    assert_eq!(reply.get("id"), Some(id), "the error names the id: {reply}");
}

#[tokio::test]
async fn notifications_and_responses_before_initialize_are_ignored() {
    let mut raw = Raw::start();
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    raw.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#)
        .await;
    raw.send(r#"{"jsonrpc":"2.0","id":41,"result":{}}"#).await;
    raw.send(r#"{"jsonrpc":"2.0","id":42,"error":{"code":-32601,"message":"no"}}"#)
        .await;
    // A request other than `initialize` or `ping` is answered with an error.
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    assert_eq!(reply["id"], 1, "{reply}");
    assert!(reply["error"]["code"].is_i64(), "{reply}");
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)
        .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 2, "result": {}}));

    raw.initialize().await;
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"mul","arguments":{"x":6,"y":7}}}"#)
        .await;
    assert_eq!(
        reply["result"]["structuredContent"]["result"], 42.0,
        "{reply}"
    );
    raw.finish().await;
}

#[tokio::test]
async fn a_failed_initialize_is_answered_and_another_may_follow() {
    let mut raw = Raw::start();
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"protocolVersion":5}}"#)
        .await;
    assert_eq!(reply["id"], 9, "{reply}");
    assert!(reply["error"]["code"].is_i64(), "{reply}");
    let reply = raw.request(INITIALIZE).await;
    assert_eq!(reply["result"]["protocolVersion"], "2025-11-25", "{reply}");
    raw.finish().await;
}

#[tokio::test]
async fn ids_that_are_not_strings_or_integers_get_invalid_request_with_a_null_id() {
    let mut raw = Raw::start();
    raw.initialize().await;
    for id in [
        "null",
        "{}",
        "{\"a\":1}",
        "1.5",
        "[1]",
        "true",
        "18446744073709551615",
    ] {
        let reply = raw
            .request(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#))
            .await;
        assert_error(&reply, -32600, &Value::Null);
        assert!(
            reply["error"]["message"].as_str().unwrap().contains("id"),
            "{reply}"
        );
    }
    // Strings and integers within i64, negative ones too, are answered as sent.
    for id in [
        json!("abc"),
        json!(""),
        json!(-5),
        json!(i64::MAX),
        json!(i64::MIN),
    ] {
        let reply = raw
            .request(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"}).to_string())
            .await;
        assert_eq!(reply, json!({"jsonrpc": "2.0", "id": id, "result": {}}));
    }
    raw.finish().await;
}

#[tokio::test]
async fn params_that_do_not_fit_are_invalid_params_naming_what_is_wrong() {
    let mut raw = Raw::start();
    raw.initialize().await;
    let cases = [
        (
            r#""tools/call","params":{"name":"mul","arguments":[1,2]}"#,
            "tools/call: `arguments` must be an object, got an array",
        ),
        (
            r#""tools/call","params":{"name":"mul","arguments":"x"}"#,
            "tools/call: `arguments` must be an object, got the string \"x\"",
        ),
        (
            r#""tools/call","params":{"arguments":{}}"#,
            "tools/call: `name` is required",
        ),
        (
            r#""tools/call","params":[1]"#,
            "tools/call: `params` must be an object, got an array",
        ),
        (r#""tools/call""#, "tools/call: `params` is required"),
        (
            r#""resources/read","params":{}"#,
            "resources/read: `uri` is required",
        ),
        (
            r#""prompts/get","params":{"name":7}"#,
            "prompts/get: `name` must be a string, got the number 7",
        ),
        (
            r#""tools/list","params":"x""#,
            "tools/list: `params` must be an object, got a string",
        ),
        (
            r#""completion/complete","params":"x""#,
            "completion/complete: `params` must be an object, got a string",
        ),
    ];
    for (id, (request, message)) in cases.into_iter().enumerate() {
        let reply = raw
            .request(&format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":{request}}}"#
            ))
            .await;
        assert_error(&reply, -32602, &json!(id));
        assert_eq!(reply["error"]["message"], message, "{reply}");
    }
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":99,"method":"no/such","params":[1]}"#)
        .await;
    assert_error(&reply, -32601, &json!(99));
    raw.finish().await;
}

#[tokio::test]
async fn a_line_over_the_limit_is_answered_once() {
    let mut raw = Raw::start();
    raw.initialize().await;
    let long = format!(
        r#"{{"jsonrpc":"2.0","id":3,"method":"{}"}}"#,
        "a".repeat(17 << 20)
    );
    raw.send(&long).await;
    let refused = raw.receive().await;
    assert_eq!(refused["error"]["code"], -32700, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("16777216"),
        "the error names the limit: {refused}"
    );
    // The next line answers the ping, not the oversized line again.
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#)
        .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 4, "result": {}}));
    assert_error(&refused, -32700, &Value::Null);
    raw.finish().await;
}

#[tokio::test]
async fn a_duplicate_id_in_flight_is_refused_and_the_first_still_answered() {
    let mut raw = Raw::start_in(PluginDir::with_math().with_hostile(""));
    raw.initialize().await;
    raw.send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sleep","arguments":{"ms":1500}}}"#)
        .await;
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"again"}}}"#)
        .await;
    assert_error(&reply, -32600, &json!(7));
    assert!(
        reply["error"]["message"].as_str().unwrap().contains("7"),
        "{reply}"
    );
    let reply = raw.receive().await;
    assert_eq!(reply["id"], 7, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["slept_ms"], 1500,
        "{reply}"
    );
    // Once answered, the id may be used again.
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#)
        .await;
    assert_eq!(reply, json!({"jsonrpc": "2.0", "id": 7, "result": {}}));
    raw.finish().await;
}

#[tokio::test]
async fn cancelled_requests_give_back_their_share_of_the_in_flight_budget() {
    let dir = PluginDir::with_math().with_hostile("[limits]\ntimeout = \"60s\"\n");
    let mut raw = Raw::start_in(dir);
    raw.initialize().await;
    // More than the budget of 64, each cancelled: none is ever answered, so
    // unless a cancel frees its share the ping behind them is never read.
    for id in 1..=100 {
        raw.send(&format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"sleep","arguments":{{"ms":60000}}}}}}"#))
            .await;
        raw.send(&format!(r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{id}}}}}"#))
            .await;
    }
    let reply = raw
        .request(r#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#)
        .await;
    assert_eq!(
        reply,
        json!({"jsonrpc": "2.0", "id": "after", "result": {}})
    );
    raw.finish().await;
}
