//! Lists and reads text files in `/data`: the directory `files-data/` that
//! `bundle/files.toml` grants, read-only. Without that manifest, no path exists.

use std::fs;
use std::io::{self, ErrorKind};

use moat_plugin_sdk::Tool;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The largest file `read` returns, so that one call cannot flood the model's context.
const MAX_READ: u64 = 1 << 20;

#[derive(Deserialize, JsonSchema)]
struct Target {
    /// A path in `/data`, e.g. `/data` or `/data/notes/todo.txt`.
    path: String,
}

#[derive(Serialize, JsonSchema)]
struct Listing {
    entries: Vec<Entry>,
}

#[derive(Serialize, JsonSchema)]
struct Entry {
    name: String,
    kind: &'static str,
    size: u64,
}

#[derive(Serialize, JsonSchema)]
struct Text {
    text: String,
}

fn list(Target { path }: Target) -> Result<Listing, String> {
    let fail = |err| explain(&path, err);
    let mut entries = Vec::new();
    for entry in fs::read_dir(&path).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let meta = fs::metadata(entry.path()).map_err(fail)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = if meta.is_dir() { "dir" } else { "file" };
        let size = meta.len();
        entries.push(Entry { name, kind, size });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Listing { entries })
}

fn read(Target { path }: Target) -> Result<Text, String> {
    let fail = |err| explain(&path, err);
    if fs::metadata(&path).map_err(fail)?.len() > MAX_READ {
        return Err(format!("{path} is over 1 MiB, too large for `read`"));
    }
    match String::from_utf8(fs::read(&path).map_err(fail)?) {
        Ok(text) if !text.contains('\0') => Ok(Text { text }),
        _ => Err(format!("{path} is binary; `read` returns only UTF-8 text")),
    }
}

/// A failure as the model should read it: what went wrong and what to do next.
fn explain(path: &str, err: io::Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => format!("{path} does not exist; `list` shows what is in /data"),
        ErrorKind::IsADirectory => format!("{path} is a directory; `list` shows what is in it"),
        _ => format!("cannot read {path}: {err}"),
    }
}

fn tools() -> Vec<Tool> {
    vec![
        Tool::new("list", "List the files and directories in /data", list).read_only(true),
        Tool::new("read", "Read a text file in /data, up to 1 MiB", read).read_only(true),
    ]
}

moat_plugin_sdk::export!(tools);
