//! `moat check`'s view of the manifest shipped beside a pulled artifact.
//!
//! `moat pull` writes an artifact's moat manifest layer
//! (`application/vnd.moat.manifest.v1+toml`) to
//! `DIR/.moat/suggested/NAME.toml`. Nothing reads it to grant: grants come
//! from the operator's `DIR/NAME.toml` alone. `moat check` shows it as a
//! suggestion NOT in force: what it asks for, what it would give if copied
//! into `DIR/NAME.toml`, and how that differs from what is in force. Its text
//! is the publisher's, so every line shown is escaped (no terminal escapes,
//! no bidi overrides, no forged lines), and a suggestion that cannot be read
//! or parsed is shown as such: `moat check`'s exit code depends only on
//! whether the plugin loads.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::Metadata;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::grants::grants;
use crate::plugins::LoadedPlugin;
use crate::runtime::Runtime;
use crate::sandbox::Sandbox;
use crate::sandbox::manifest::{Access, Manifest};

/// The largest suggestion `moat check` reads, in bytes: 64 KiB. A manifest is
/// a few hundred bytes; the bound stops an artifact from shipping a huge
/// file that `check` would read into memory and print to the operator.
pub const MAX_SUGGESTION: u64 = 64 * 1024;

/// Where the suggestion for `plugin` lives: `DIR/.moat/suggested/NAME.toml`.
fn path_for(plugin: &LoadedPlugin) -> PathBuf {
    let dir = plugin.path().parent().unwrap_or(Path::new("."));
    dir.join(".moat")
        .join("suggested")
        .join(format!("{}.toml", plugin.name()))
}

/// The suggestion section of `moat check`'s report, or `None` if the plugin
/// has no suggestion.
pub fn report(plugin: &LoadedPlugin, runtime: &Runtime) -> Option<String> {
    let path = path_for(plugin);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    let in_force = Manifest::path_for(plugin.path());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "suggested manifest: {} (shipped with the artifact)",
        path.display()
    );
    let _ = writeln!(
        out,
        "  a suggestion, NOT in force: it grants nothing unless you copy it into {}",
        in_force.display()
    );
    match read(&path, &meta).and_then(|text| Manifest::parse(&text)) {
        Err(why) => {
            let _ = writeln!(out, "  it cannot be used, so it suggests nothing:");
            for line in why.lines() {
                let _ = writeln!(out, "    {}", escape(line));
            }
        }
        Ok(suggested) => compare(&suggested, plugin, runtime, &in_force, &mut out),
    }
    let _ = writeln!(out, "copy what you approve into {}", in_force.display());
    Some(out)
}

/// What `suggested` asks for and would give, and how that differs from
/// what is in force.
fn compare(
    suggested: &Manifest,
    plugin: &LoadedPlugin,
    runtime: &Runtime,
    in_force: &Path,
    out: &mut String,
) {
    let dir = plugin.path().parent().unwrap_or(Path::new("."));
    let mut imports = plugin.imports(runtime.engine());
    imports.sort();
    let mut after = asks(suggested);
    let _ = writeln!(out, "  it asks for:");
    if after.is_empty() {
        let _ = writeln!(out, "    nothing: no grants, no settings");
    }
    for line in &after {
        let _ = writeln!(out, "    {}", escape(line));
    }
    let current = Manifest::read(in_force.to_owned()).unwrap_or_default();
    let mut before = asks(&current);
    match Sandbox::from_manifest(suggested, dir) {
        Ok(sandbox) => {
            let _ = writeln!(out, "  as {} it would give:", in_force.display());
            let lines = grants(&sandbox, &suggested.secrets, &imports);
            for line in &lines {
                let _ = writeln!(out, "    {}", escape(line));
            }
            after.extend(lines);
            before.extend(grants(plugin.sandbox(), &plugin.secrets(), &imports));
        }
        Err(reason) => {
            let _ = writeln!(
                out,
                "  as {} it would not load: {}",
                in_force.display(),
                escape(&reason)
            );
        }
    }
    if in_force.is_file() {
        let _ = writeln!(out, "  compared with {}, in force:", in_force.display());
    } else {
        let _ = writeln!(
            out,
            "  compared with what is in force (no {}, so nothing is granted):",
            in_force.display()
        );
    }
    let trimmed = |lines: &[String]| -> Vec<String> {
        lines.iter().map(|line| line.trim().to_owned()).collect()
    };
    let (before, after) = (trimmed(&before), trimmed(&after));
    let (in_before, in_after): (HashSet<&String>, HashSet<&String>) =
        (before.iter().collect(), after.iter().collect());
    let dropped: Vec<&String> = before.iter().filter(|l| !in_after.contains(l)).collect();
    let added: Vec<&String> = after.iter().filter(|l| !in_before.contains(l)).collect();
    if dropped.is_empty() && added.is_empty() {
        let _ = writeln!(out, "    no difference: it asks for what is in force");
    }
    for line in dropped {
        let _ = writeln!(out, "    - {}", escape(line));
    }
    for line in added {
        let _ = writeln!(out, "    + {}", escape(line));
    }
}

/// What `manifest` asks for as written, one line per grant or setting that
/// the sandbox's report does not show (names, paths, descriptions, lint).
fn asks(manifest: &Manifest) -> Vec<String> {
    let mut lines = Vec::new();
    let capabilities = &manifest.capabilities;
    for grant in &capabilities.files {
        let access = match grant.access {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        };
        lines.push(format!(
            "files: host {:?} seen at {:?} ({access})",
            grant.host, grant.guest
        ));
    }
    for grant in &capabilities.network {
        lines.push(format!("network: outbound to {grant}"));
    }
    for (name, value) in &capabilities.env {
        lines.push(format!("env: {name:?} = {value:?}"));
    }
    if let Some(prefix) = &manifest.tools.prefix {
        lines.push(format!("tools: prefix {prefix:?}"));
    }
    for (tool, description) in &manifest.tools.descriptions {
        lines.push(format!("tools: description of {tool:?}: {description:?}"));
    }
    let lint = &manifest.lint;
    if lint.strict {
        lint_line(
            &mut lines,
            "strict: refuse the plugin on an unaccepted lint error",
        );
    }
    if let Some(chars) = lint.max_description_chars {
        lint_line(
            &mut lines,
            &format!("descriptions up to {chars} characters"),
        );
    }
    for accept in &lint.accept {
        let place = accept.place.as_deref().map(|p| format!(" at {p:?}"));
        lint_line(
            &mut lines,
            &format!(
                "accepts {} on {:?}{}",
                accept.code,
                accept.item,
                place.unwrap_or_default()
            ),
        );
    }
    lines
}

fn lint_line(lines: &mut Vec<String>, text: &str) {
    lines.push(format!("lint: {text}"));
}

/// The suggestion's text: a regular file (a symlink, a directory, a FIFO or
/// a device is never opened) of at most [`MAX_SUGGESTION`] bytes of UTF-8.
fn read(path: &Path, meta: &Metadata) -> Result<String, String> {
    if !meta.file_type().is_file() {
        return Err(
            "it is not a regular file (symlinks, directories and devices are not read)".into(),
        );
    }
    let too_large = |size: u64| {
        format!(
            "it is {size} bytes, over the {} KiB a suggestion may be",
            MAX_SUGGESTION >> 10
        )
    };
    if meta.len() > MAX_SUGGESTION {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_SUGGESTION + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("it cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_SUGGESTION {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".into())
}

/// `line` with every control character and bidirectional-text control
/// written as `\u{…}`, so the publisher's text cannot move the cursor,
/// recolour, reorder or add lines in the operator's terminal.
fn escape(line: &str) -> String {
    line.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
