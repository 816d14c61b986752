//! Properties of framing and classification, over arbitrary bytes and
//! near-JSON-RPC values: no panic, and every complete line is passed on,
//! skipped, ignored as the spec says, or answered once with the right
//! error and id.

use proptest::prelude::*;
use rmcp::model::{JsonRpcMessage, RequestId};
use serde_json::{Value, json};

use super::classify::{Line, classify};
use super::framing::{Frame, Framer};

/// A short limit, so that oversized lines are common.
const MAX: usize = 96;

/// Feeds `input` to a framer in pieces of `chunk` bytes and returns, for
/// each frame, the line it holds (`None`: oversized).
fn frames(input: &[u8], chunk: usize) -> Vec<Option<Vec<u8>>> {
    let mut framer = Framer::new(MAX);
    let mut found = Vec::new();
    for mut piece in input.chunks(chunk.max(1)) {
        while !piece.is_empty() {
            let (taken, frame) = framer.push(piece);
            assert!(taken > 0 && taken <= piece.len());
            piece = &piece[taken..];
            match frame {
                Some(Frame::Line) => found.push(Some(framer.line().to_vec())),
                Some(Frame::Oversized) => found.push(None),
                None => {}
            }
        }
    }
    found
}

/// The frames `input` must yield: one per newline-terminated line.
fn expected(input: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    lines.pop(); // after the last newline: not a complete line
    lines
        .into_iter()
        .map(|line| (line.len() <= MAX).then(|| line.to_vec()))
        .collect()
}

/// Checks what `classify` made of `line` against the spec.
fn check(line: &[u8]) {
    let text = line.strip_suffix(b"\r").unwrap_or(line);
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let value = serde_json::from_slice::<Value>(text).ok();
    let valid_id = |value: &Value| {
        let id = value.get("id")?;
        serde_json::from_value::<RequestId>(id.clone()).ok()
    };
    match classify(line) {
        Line::Blank => assert!(text.iter().all(u8::is_ascii_whitespace)),
        Line::Message(message) => {
            let value = value.expect("a message is JSON");
            if let JsonRpcMessage::Request(request) = *message {
                assert_eq!(Some(request.id), valid_id(&value));
            }
        }
        Line::Ignored(_) => {
            let value = value.expect("only JSON is ignored");
            let has = |key| value.get(key).is_some();
            let notification = has("method") && !has("id");
            let response = !has("method") && (has("result") || has("error"));
            assert!(notification || response, "{value}");
        }
        Line::Reply(reply) => {
            let written: Value = serde_json::from_slice(&reply.to_line()).unwrap();
            assert_eq!(written["jsonrpc"], "2.0");
            assert!(written.get("id").is_some(), "the id is always written");
            let code = reply.error.code.0;
            match value {
                None => {
                    assert_eq!(code, -32700);
                    assert_eq!(reply.id, None);
                }
                Some(value) => {
                    // -32601 only for params that are not an object,
                    // sent to a method the server does not have.
                    let unknown = value.get("method").is_some_and(Value::is_string);
                    assert!(
                        code == -32600 || code == -32602 || (code == -32601 && unknown),
                        "{code} for {value}"
                    );
                    assert_eq!(reply.id, valid_id(&value), "{value}");
                    assert!(value.get("method").is_none() || value.get("id").is_some());
                }
            }
        }
    }
}

/// An id, valid or not.
fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z0-9]{0,4}".prop_map(Value::from),
        Just(Value::Null),
        Just(json!({"a": 1})),
        Just(json!([1])),
        Just(json!(true)),
    ]
}

/// A params value, fitting or not.
fn params() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just(json!({})),
        Just(json!([1, 2])),
        Just(json!("x")),
        Just(json!(5)),
        Just(Value::Null),
    ];
    prop_oneof![
        (field.clone(), field)
            .prop_map(|(name, arguments)| json!({"name": name, "arguments": arguments})),
        Just(json!({"name": "mul", "arguments": {"x": 1, "y": 2}})),
        Just(json!({"uri": "file:///x"})),
        Just(json!([1])),
        Just(json!("params")),
        Just(Value::Null),
    ]
}

/// A JSON-RPC-like object: each member present or not, right or wrong.
fn near_json_rpc() -> impl Strategy<Value = Value> {
    let jsonrpc = prop_oneof![Just(json!("2.0")), Just(json!("1.0")), Just(json!(2))];
    let method = prop_oneof![
        Just(json!("tools/call")),
        Just(json!("tools/list")),
        Just(json!("ping")),
        Just(json!("resources/read")),
        Just(json!("notifications/cancelled")),
        Just(json!("no/such")),
        Just(json!(7)),
    ];
    (
        proptest::option::of(jsonrpc),
        proptest::option::of(id()),
        proptest::option::of(method),
        proptest::option::of(params()),
        proptest::option::of(prop_oneof![Just(json!({})), Just(json!(1))]),
        proptest::option::of(Just(json!({"code": -1, "message": "m"}))),
    )
        .prop_map(|(jsonrpc, id, method, params, result, error)| {
            let mut object = serde_json::Map::new();
            let members = [("jsonrpc", jsonrpc), ("id", id), ("method", method)];
            let more = [("params", params), ("result", result), ("error", error)];
            for (key, value) in members.into_iter().chain(more) {
                if let Some(value) = value {
                    object.insert(key.to_owned(), value);
                }
            }
            Value::Object(object)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_frame_into_lines_each_classified(
        // One byte in eight a newline, so that lines are short and many.
        input in proptest::collection::vec(any::<u8>(), 0..400)
            .prop_map(|bytes| bytes.into_iter().map(|b| if b % 8 == 0 { b'\n' } else { b }).collect::<Vec<_>>()),
        chunk in 1usize..200,
    ) {
        let found = frames(&input, chunk);
        prop_assert_eq!(&found, &expected(&input));
        for line in found.into_iter().flatten() {
            check(&line);
        }
    }

    #[test]
    fn near_json_rpc_lines_are_answered_by_the_spec(
        value in near_json_rpc(),
        cut in proptest::option::of(0usize..200),
        prefix in prop_oneof![Just(""), Just(" "), Just("\u{feff}")],
        suffix in prop_oneof![Just(""), Just("\r"), Just(" ")],
    ) {
        let mut text = value.to_string();
        if let Some(cut) = cut.filter(|&cut| text.is_char_boundary(cut)) {
            text.truncate(cut);
        }
        check(format!("{prefix}{text}{suffix}").as_bytes());
    }
}
