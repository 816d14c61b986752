//! The sample plugins' texts, as `moat list` shows them, raise nothing.
//! (The e2e test `lint::samples_raise_nothing` checks the real plugins.)

use serde_json::json;

use super::{others, tool};
use crate::{Item, Kind, Options, lint, shadowing};

#[test]
fn the_samples_descriptions_raise_nothing() {
    let texts = [
        "Add two numbers",
        "Subtract y from x",
        "Multiply two numbers",
        "Divide x by y",
        "List the files and directories in /data",
        "Read a text file in /data, up to 1 MiB",
        "Tool with JSON Schema 2020-12 features ($defs, $anchor, allOf, if/then/else)",
        "Echoes a region that clients also send as the `Mcp-Param-Region` HTTP header",
        "Asks the client's model a question: needs the client's sampling capability",
        "Asks three questions at once: the user's name, the model, the roots",
        "Asks the user to confirm (key `confirm`); the host refuses an altered requestState",
        "Logs while it runs; the messages reach only clients that asked for them",
    ];
    let items: Vec<Item> = texts.iter().map(|text| tool(text)).collect();
    assert_eq!(lint(&items, &Options::default()), []);
    let names = others(&[
        "add",
        "sub",
        "mul",
        "div",
        "list",
        "read",
        "fetch",
        "test_simple_text",
    ]);
    assert_eq!(shadowing(&items, &names), []);
}

#[test]
fn a_typical_schema_raises_nothing() {
    let item = Item::new(Kind::Tool, "read").schema(
        "inputSchema",
        &json!({
            "type": "object",
            "properties": {"path": {"type": "string", "description": "A path under /data, e.g. /data/notes.txt"}},
            "required": ["path"],
            "$schema": "https://json-schema.org/draft/2020-12/schema"
        }),
    );
    assert_eq!(lint(&[item], &Options::default()), []);
}
