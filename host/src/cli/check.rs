//! `moat check`: what a plugin is, what it is granted, and what it will be
//! denied, in plain words for the operator deciding whether to run it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::grants::grants;
use super::suggested;
use crate::lint::{OtherTool, Review};
use crate::plugins::{LoadedPlugin, Loader, Registry, startup};
use crate::runtime::{CompileCache, Runtime};
use crate::sandbox::manifest::Manifest;

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
    /// The operator's secret store, as for `moat serve --secrets`: the
    /// report shows each granted secret's name, delivery and source, never
    /// its value.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
}

/// `moat check PLUGIN`: the report, then the lint's findings (beside the
/// plugins of `--plugins DIR`, if given); under `--strict`, exits 2 if one
/// is an error.
pub async fn run(args: CheckArgs, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let store = super::serve::secret_store(args.secrets.as_deref())?;
    let runtime = Runtime::with_cache(cache)?.with_secrets(store);
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
