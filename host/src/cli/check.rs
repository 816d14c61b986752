//! `moat check`: what a plugin is, what it is granted, and what it will be
//! denied, in plain words for the operator deciding whether to run it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::suggested;
use crate::lint::{OtherTool, Review};
use crate::plugins::{LoadedPlugin, Loader, Registry, startup};
use crate::runtime::{CompileCache, Runtime};
use crate::sandbox::Sandbox;
use crate::sandbox::manifest::{Access, Manifest, SecretsSection};

/// `moat check`'s arguments.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The plugin, `NAME.wasm`; its manifest is `NAME.toml` beside it.
    pub plugin: PathBuf,
    /// Exit 2 if the lint finds an error (`serve --strict` would refuse it).
    #[arg(long)]
    pub strict: bool,
    /// Also lint for shadowing of the tools of the plugins in DIR.
    #[arg(long, value_name = "DIR")]
    pub plugins: Option<PathBuf>,
}

/// `moat check PLUGIN`: the report, then the lint's findings (beside the
/// plugins of `--plugins DIR`, if given); under `--strict`, exits 2 if one
/// is an error.
pub async fn run(args: CheckArgs, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::with_cache(cache)?;
    let plugin = LoadedPlugin::load(&runtime, &args.plugin).await?;
    print!("{}", report(&plugin, &runtime));
    let review = match args.plugins {
        Some(dir) => {
            let registry = startup::load(&dir, &Loader::new(runtime.clone(), None)).await?;
            beside(&plugin, &registry.current())
        }
        None => plugin.lint().review(&[]),
    };
    print!("{}", lint(&review));
    if let Some(suggestion) = suggested::report(&plugin, &runtime) {
        print!("{suggestion}");
    }
    let refused = args.strict && review.errors().next().is_some();
    Ok(ExitCode::from(if refused { 2 } else { 0 }))
}

/// The report for a plugin that loaded.
pub fn report(plugin: &LoadedPlugin, runtime: &Runtime) -> String {
    let sandbox = plugin.sandbox();
    let mut out = String::new();
    let manifest = Manifest::path_for(plugin.path());
    let _ = writeln!(
        out,
        "plugin `{}` ({})",
        plugin.name(),
        plugin.path().display()
    );
    let _ = writeln!(
        out,
        "manifest: {}",
        if manifest.is_file() {
            manifest.display().to_string()
        } else {
            "none, so nothing is granted".into()
        }
    );
    let names: Vec<&str> = plugin.tools().iter().map(|t| t.name.as_ref()).collect();
    let _ = writeln!(out, "tools: {}", names.join(", "));
    if !plugin.typed_tools().is_empty() {
        typed_tools(plugin, &mut out);
    }
    for warning in plugin.warnings() {
        let _ = writeln!(out, "warning: {warning}");
    }
    let uris: Vec<&str> = plugin.resources().iter().map(|r| r.uri.as_str()).collect();
    let templates = plugin.templates().iter().map(|t| t.uri_template.as_str());
    let uris: Vec<&str> = uris.into_iter().chain(templates).collect();
    if !uris.is_empty() {
        let _ = writeln!(out, "resources: {}", uris.join(", "));
    }
    let prompts: Vec<&str> = plugin.prompts().iter().map(|p| p.name.as_str()).collect();
    if !prompts.is_empty() {
        let _ = writeln!(out, "prompts: {}", prompts.join(", "));
    }
    let mut imports: Vec<String> = plugin.imports(runtime.engine());
    imports.sort();
    for line in grants(sandbox, &plugin.secrets(), &imports) {
        let _ = writeln!(out, "{line}");
    }
    out
}

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
        "imports:".to_owned(),
    ];
    let width = imports.iter().map(String::len).max().unwrap_or(0);
    for import in imports {
        lines.push(format!("  {import:width$}  {}", verdict(import, sandbox)));
    }
    lines
}

/// What the definition lint says, one finding a line, after a summary.
pub fn lint(review: &Review) -> String {
    let mut out = String::new();
    let errors = review.errors().count();
    let _ = writeln!(
        out,
        "lint: {} finding(s), {errors} of severity error; {} accepted by the manifest",
        review.findings.len(),
        review.accepted.len()
    );
    for line in review.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Prints the lint's findings of every plugin of `registry` on stderr, one
/// a line (for `moat lock`, whose stdout says what it locked); returns how
/// many are of severity error.
pub fn print_lint(registry: &Registry) -> usize {
    let mut errors = 0;
    for plugin in registry.plugins() {
        let review = registry.lint(plugin);
        for line in review.lines() {
            eprintln!("lint: plugin `{}`: {line}", plugin.name());
        }
        errors += review.errors().count();
    }
    errors
}

/// The lint of `plugin` beside the plugins of `registry` (other than
/// itself, by file name), whose tools it must not name.
pub fn beside(plugin: &LoadedPlugin, registry: &Registry) -> Review {
    let others: Vec<OtherTool> = registry
        .plugins()
        .iter()
        .filter(|other| other.path().file_name() != plugin.path().file_name())
        .flat_map(|other| {
            registry.served_by(other).map(|name| OtherTool {
                name: name.to_owned(),
                plugin: other.name().to_owned(),
            })
        })
        .filter(|other| !plugin.tools().iter().any(|t| t.name == other.name))
        .collect();
    plugin.lint().review(&others)
}

/// A plain component's tools: where each comes from, its description's
/// source, and its schemas as pretty JSON.
fn typed_tools(plugin: &LoadedPlugin, out: &mut String) {
    let _ = writeln!(
        out,
        "a plain typed component: each exported function is a tool"
    );
    for (tool, typed) in plugin.tools().iter().zip(plugin.typed_tools()) {
        let func = &typed.func;
        let from = match &func.interface {
            Some(interface) => format!("`{}` in `{interface}`", func.function.name),
            None => format!("`{}` at top level", func.function.name),
        };
        let _ = writeln!(out, "tool `{}`: {from}", tool.name);
        let _ = writeln!(out, "  description (from {}):", typed.source);
        for line in tool.description.as_deref().unwrap_or_default().lines() {
            let _ = writeln!(out, "    {line}");
        }
        let pretty = |schema: &rmcp::model::JsonObject| {
            serde_json::to_string_pretty(schema).unwrap_or_default()
        };
        let _ = writeln!(out, "  input schema:");
        indent(out, &pretty(&tool.input_schema));
        if let Some(output) = &tool.output_schema {
            let _ = writeln!(out, "  output schema:");
            indent(out, &pretty(output));
        }
    }
}

fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "    {line}");
    }
}

/// What the sandbox does with one imported interface.
fn verdict(import: &str, sandbox: &Sandbox) -> String {
    let interface = import.split('@').next().unwrap_or(import);
    let (package, name) = interface.split_once('/').unwrap_or((interface, ""));
    match (package, name) {
        ("wasi:filesystem", _) if sandbox.dirs().is_empty() => {
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
        ("wasi:cli", "environment") if sandbox.env().is_empty() => {
            "empty: no environment variables, no arguments".into()
        }
        ("wasi:cli", "environment") => {
            let names: Vec<&str> = sandbox.env().iter().map(|(n, _)| n.as_str()).collect();
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
