//! What a sandbox gives a plugin, in one line per limit, secret rule and
//! import: shared by `moat check`'s report and its view of a suggested
//! manifest.

use crate::sandbox::Sandbox;
use crate::sandbox::manifest::{Access, SecretsSection};

/// What `sandbox` (with the manifest's `[secrets]`) gives a plugin with
/// `imports` (sorted): its limits, its secrets scanning, and a verdict per
/// import, one line each (a line may hold text from the manifest; callers
/// showing an untrusted manifest escape each line).
pub(super) fn grants(
    sandbox: &Sandbox,
    secrets: &SecretsSection,
    imports: &[String],
) -> Vec<String> {
    let limits = sandbox.limits();
    let listing = sandbox.listing();
    let mut lines = vec![
        format!(
            "limits: memory {} MiB, timeout {:?}, {} concurrent calls, results up to {} KiB",
            limits.memory >> 20,
            limits.timeout,
            limits.max_concurrency,
            limits.max_output >> 10
        ),
        format!(
            "        per call at most {} resource handles and {} open files",
            limits.host.max_handles, limits.host.max_open_files
        ),
        format!(
            "        at load at most {} tools, {} resources, {} templates, {} prompts, texts of {} KiB, schemas of {} KiB, {} KiB in all, within {:?}",
            listing.max_tools,
            listing.max_resources,
            listing.max_templates,
            listing.max_prompts,
            listing.max_description >> 10,
            listing.max_schema >> 10,
            listing.max_listing >> 10,
            listing.load_timeout
        ),
        format!(
            "secrets: arguments {}, results {} (manifest [secrets])",
            secrets.arguments.as_str(),
            secrets.results.as_str()
        ),
    ];
    for secret in sandbox.secrets() {
        lines.push(format!("granted secret {secret}"));
    }
    lines.push("imports:".to_owned());
    let width = imports.iter().map(String::len).max().unwrap_or(0);
    for import in imports {
        lines.push(format!("  {import:width$}  {}", verdict(import, sandbox)));
    }
    lines
}

/// What the sandbox does with one imported interface.
fn verdict(import: &str, sandbox: &Sandbox) -> String {
    let interface = import.split('@').next().unwrap_or(import);
    let (package, name) = interface.split_once('/').unwrap_or((interface, ""));
    match (package, name) {
        ("wasi:filesystem", _)
            if sandbox.dirs().is_empty() && sandbox.secret_dirs().next().is_none() =>
        {
            "denied: no directories granted, every open fails".into()
        }
        ("wasi:filesystem", _) => {
            let dirs: Vec<String> = sandbox
                .dirs()
                .iter()
                .map(|d| {
                    let access = match d.access() {
                        Access::ReadOnly => "read-only",
                        Access::ReadWrite => "read-write",
                    };
                    format!("{} = {} ({access})", d.guest(), d.host().display())
                })
                .chain(
                    sandbox
                        .secret_dirs()
                        .map(|d| format!("{d} (secret files, read-only)")),
                )
                .collect();
            format!("granted: {}", dirs.join(", "))
        }
        ("wasi:sockets", _) | ("wasi:http", _) if sandbox.network().is_empty() => {
            "denied: no network granted, every connection and lookup fails".into()
        }
        ("wasi:sockets", "udp" | "udp-create-socket") => "denied: UDP is never granted".into(),
        ("wasi:sockets", _) | ("wasi:http", _) => {
            let grants: Vec<String> = sandbox
                .network()
                .grants()
                .iter()
                .map(|g| g.to_string())
                .collect();
            format!("granted: outbound to {} only", grants.join(", "))
        }
        ("wasi:cli", "environment")
            if sandbox.env().is_empty() && sandbox.secret_env().next().is_none() =>
        {
            "empty: no environment variables, no arguments".into()
        }
        ("wasi:cli", "environment") => {
            let names: Vec<&str> = sandbox
                .env()
                .iter()
                .map(|(n, _)| n.as_str())
                .chain(sandbox.secret_env())
                .collect();
            format!("granted: only {}", names.join(", "))
        }
        ("wasi:cli", "stdin") => "closed: reads see end of input".into(),
        ("wasi:cli", "stdout" | "stderr") => {
            "captured: goes to moat's log, never to clients".into()
        }
        ("wasi:cli", _) | ("wasi:io", _) => "allowed: stream and process plumbing".into(),
        ("wasi:clocks", _) => "allowed: the host's clocks".into(),
        ("wasi:random", _) => "allowed: random numbers".into(),
        ("moat:plugin", "client") => {
            "allowed: asks only the client whose request it handles, for what that client declared"
                .into()
        }
        ("moat:plugin", "host") => "allowed: logs to moat's log and, if asked, the client".into(),
        ("moat:plugin", _) => "allowed: the moat host interface".into(),
        _ => "unknown to moat".into(),
    }
}
