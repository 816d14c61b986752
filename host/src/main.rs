//! The `moat` command: serve, list and call WebAssembly MCP plugins.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use rmcp::model::{CallToolResponse, JsonObject};

use moat::cli::audit::AuditCommand;
use moat::cli::dev::DevPlugin;
use moat::cli::serve::ServeArgs;
use moat::clients::ClientLink;
use moat::observe::Caller;
use moat::plugins::lock::{self, Lock};
use moat::plugins::{LiveRegistry, Loader, startup};
use moat::protocol::MoatServer;
use moat::runtime::{CompileCache, Runtime};

/// jemalloc, not glibc's malloc: compiling a large component (Cranelift on
/// several threads) leaves glibc's per-thread arenas holding what it freed,
/// so a host that compiled an 18 MB Python component stayed at 371 MB
/// resident; jemalloc gives freed memory back to the system in the
/// background (145 MB; 72 MB when the component came from the compile
/// cache, for either allocator). See docs/performance.md.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// An MCP host that runs every tool as a sandboxed WebAssembly component.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Keep compiled plugins in DIR [default: the user's cache directory,
    /// e.g. ~/.cache/wasmtime]. A restart with unchanged plugins then
    /// compiles nothing.
    #[arg(long, global = true, value_name = "DIR")]
    cache: Option<PathBuf>,
    /// Compile every plugin at start, keeping nothing.
    #[arg(long, global = true, conflicts_with = "cache")]
    no_cache: bool,
}

// Parsed once, at start: the size of `serve`'s flags costs nothing.
#[derive(Subcommand)]
enum Command {
    /// Serve the plugins in a directory to an MCP client over stdio.
    Serve(Box<ServeArgs>),
    /// Build a plugin (Rust, Python or JavaScript), serve it, and rebuild and
    /// reload it as you edit.
    ///
    /// For plugin authors: point an MCP client at `moat dev path/to/plugin`.
    /// Every saved change to the plugin (or its local dependencies, or the
    /// manifest) is built and served at once, and the client is told when
    /// the tools change. Build errors are printed on stderr; the last good
    /// build keeps serving. A Rust crate is built by cargo for
    /// wasm32-wasip2; a directory with `app.py` and `wit/` by
    /// componentize-py, one with `app.js` and `wit/` by jco, into
    /// `DIR/.moat/`.
    Dev {
        /// The plugin: a crate's directory or `Cargo.toml`, or a Python or
        /// JavaScript plugin directory.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// The plugin's manifest, `NAME.toml`, watched too [default: none,
        /// so the plugin is granted nothing].
        #[arg(long, value_name = "FILE")]
        manifest: Option<PathBuf>,
        /// Build a Rust crate with `--release`.
        #[arg(long)]
        release: bool,
        /// The operator's secret store, as for `moat serve --secrets`.
        #[arg(long, value_name = "FILE")]
        secrets: Option<PathBuf>,
    },
    /// Pin the tool definitions of every plugin in a directory.
    ///
    /// Writes a SHA-256 of each tool's name, title, description, schemas and
    /// annotations; `moat serve --locked` then refuses any plugin whose
    /// definitions differ (a "rug pull": same tool, new description).
    Lock {
        /// Directory holding NAME.wasm plugin components.
        #[arg(long, value_name = "DIR")]
        plugins: PathBuf,
        /// The lock file to write [default: DIR/moat.lock].
        #[arg(long, value_name = "FILE")]
        lock: Option<PathBuf>,
        /// Write no lock (exit 2) on any unaccepted lint error.
        #[arg(long)]
        strict: bool,
    },
    /// Fetch plugins from OCI registries or pinned URLs into a plugin
    /// directory, verified, and record them in the lock.
    ///
    /// Every digest is checked, a cosign signature must verify with a key
    /// the trust policy trusts for the repository (unless
    /// --allow-unsigned), and the component is compiled and linted with
    /// DIR/NAME.toml before it is renamed into DIR/NAME.wasm: a refused
    /// pull writes nothing. Prints one line per plugin written; exits 2 if
    /// any reference was refused (the reasons on stderr).
    Pull(Box<moat::cli::pull::PullArgs>),
    /// Print every plugin in a directory and its tools.
    List {
        /// Directory holding NAME.wasm plugin components.
        #[arg(long, value_name = "DIR")]
        plugins: PathBuf,
        /// Print the MCP `tools/list` result as JSON instead.
        #[arg(long)]
        json: bool,
    },
    /// Check a plugin and its manifest, and print what it is granted and denied.
    ///
    /// Exits 0 if the plugin would load, 2 if not (the reason is printed).
    /// Prints what the definition lint finds.
    Check(moat::cli::check::CheckArgs),
    /// Put the WIT doc comments into a built plain component.
    ///
    /// Toolchains drop the docs (the `package-docs` section) when they
    /// build a component; without them its tools have only their
    /// signatures as descriptions. Run this after each build: it embeds
    /// the docs of the WIT world whose exports the component has.
    EmbedDocs {
        /// The WIT sources: the directory given to wit-bindgen (or a file).
        #[arg(long, value_name = "WIT_DIR")]
        wit: PathBuf,
        /// The built component, e.g. target/wasm32-wasip2/release/calc.wasm.
        component: PathBuf,
        /// Where to write the result [default: the component, in place].
        #[arg(short, long, value_name = "OUT.wasm")]
        out: Option<PathBuf>,
    },
    /// Work with an audit log written by `moat serve --audit FILE`.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run one tool and print its MCP result as JSON.
    ///
    /// Exits 0 on success, 1 if the tool reports an error, 2 if the call
    /// could not be made (unknown tool, bad arguments).
    Call {
        /// The tool's name, e.g. `mul`.
        tool: String,
        /// The arguments, a JSON object, e.g. '{"x": 25, "y": 17}'.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        args: String,
        /// Directory holding NAME.wasm plugin components.
        #[arg(long, value_name = "DIR")]
        plugins: PathBuf,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // reqwest is built without a default TLS provider (`rustls-no-provider`,
    // for `moat pull`), and every reqwest client in the process, the OTLP
    // exporter's included, panics at build without one: install ring's,
    // which the tree already has (wasmtime-wasi-http), before any is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let otlp = match &cli.command {
        Command::Serve(args) => args.telemetry.otlp.clone(),
        _ => None,
    };
    let tracing = moat::cli::telemetry::init(otlp.as_deref());
    let cache = match (cli.no_cache, cli.cache) {
        (true, _) => CompileCache::Off,
        (false, Some(dir)) => CompileCache::In(dir),
        (false, None) => CompileCache::Default,
    };
    let code = match run(cli.command, cache).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::from(2)
        }
    };
    tracing.shutdown();
    code
}

async fn run(command: Command, cache: CompileCache) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => moat::cli::serve::run(*args, cache).await,
        Command::Dev {
            path,
            manifest,
            release,
            secrets,
        } => dev(path, manifest, release, secrets, cache).await,
        Command::Lock {
            plugins,
            lock,
            strict,
        } => {
            let file = lock.unwrap_or_else(|| plugins.join(lock::FILE_NAME));
            write_lock(plugins, &file, strict, cache).await
        }
        Command::Pull(args) => moat::cli::pull::run(*args, cache).await,
        Command::List { plugins, json } => list(plugins, json, cache).await,
        Command::Check(args) => moat::cli::check::run(args, cache).await,
        Command::EmbedDocs {
            wit,
            component,
            out,
        } => {
            moat::cli::embed_docs::run(&wit, &component, out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Call {
            tool,
            args,
            plugins,
        } => call(plugins, &tool, &args, cache).await,
        Command::Audit(command) => moat::cli::audit::run(command),
    }
}

/// Builds the plugin crate at `path`, serves it over stdio, and rebuilds
/// and reloads it as its sources change.
async fn dev(
    path: PathBuf,
    manifest: Option<PathBuf>,
    release: bool,
    secrets: Option<PathBuf>,
    cache: CompileCache,
) -> anyhow::Result<ExitCode> {
    let manifest = match manifest {
        Some(file) => Some(
            file.canonicalize()
                .with_context(|| format!("cannot read the manifest {}", file.display()))?,
        ),
        None => None,
    };
    let plugin = DevPlugin::locate(&path, release).await?;
    let store = moat::cli::serve::secret_store(secrets.as_deref())?;
    let runtime = Runtime::with_cache(cache)?.with_secrets(store);
    let server = moat::cli::dev::start(plugin, manifest, runtime).await?;
    let server = moat::protocol::Instrumented::new(server, None);
    moat::cli::serve::serve_stdio(server, &format!("the plugin built from {}", path.display()))
        .await
}

/// The plugins of `dir`, loaded for a one-off command.
async fn load(dir: &Path, cache: CompileCache) -> anyhow::Result<(Runtime, LiveRegistry)> {
    let runtime = Runtime::with_cache(cache)?;
    let registry = startup::load(dir, &Loader::new(runtime.clone(), None)).await?;
    Ok((runtime, registry))
}

async fn write_lock(
    dir: PathBuf,
    file: &Path,
    strict: bool,
    cache: CompileCache,
) -> anyhow::Result<ExitCode> {
    let (_runtime, registry) = load(&dir, cache).await?;
    let registry = registry.current();
    let errors = moat::cli::check::print_lint(&registry);
    if strict && errors > 0 {
        eprintln!(
            "moat lock --strict: wrote no lock: {errors} lint finding{} of severity error (above); fix the plugins or accept the findings in their manifests' [lint] accept",
            plural(errors)
        );
        return Ok(ExitCode::from(2));
    }
    let previous = match Lock::read_or_default(file) {
        Ok(previous) => previous,
        Err(error) => {
            eprintln!("moat lock: replacing {error}");
            Lock::default()
        }
    };
    let lock = Lock::of(registry.plugins().iter().map(AsRef::as_ref), &previous);
    for (name, source) in previous.sources_lost(&lock) {
        match lock.wasm(name) {
            Some(now) => eprintln!(
                "moat lock: {name} is no longer the component pulled from {} ({}): its SHA-256 is now {now}; locked as a local file. `moat pull --update` fetches the published one again",
                source.reference, source.digest
            ),
            None => eprintln!(
                "moat lock: {name}, pulled from {}, is no longer in {}; dropped from the lock",
                source.reference,
                dir.display()
            ),
        }
    }
    lock.write(file)?;
    let (plugins, tools) = lock.size();
    println!(
        "locked {tools} tool{} of {plugins} plugin{} in {}",
        plural(tools),
        plural(plugins),
        file.display()
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(dir: PathBuf, json: bool, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let (_runtime, registry) = load(&dir, cache).await?;
    let registry = registry.current();
    if json {
        let result = rmcp::model::ListToolsResult::with_all_items(registry.tools().to_vec());
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    for plugin in registry.plugins() {
        println!("{} ({})", plugin.name(), plugin.path().display());
        for tool in plugin.tools() {
            let description = tool.description.as_deref().unwrap_or("");
            println!("  {:<16} {description}", tool.name);
        }
        for resource in plugin.resources() {
            let description = resource.description.as_deref().unwrap_or("");
            println!("  resource {} {description}", resource.uri);
        }
        for template in plugin.templates() {
            let description = template.description.as_deref().unwrap_or("");
            println!("  template {} {description}", template.uri_template);
        }
        for prompt in plugin.prompts() {
            let description = prompt.description.as_deref().unwrap_or("");
            println!("  prompt   {} {description}", prompt.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn call(
    dir: PathBuf,
    tool: &str,
    args: &str,
    cache: CompileCache,
) -> anyhow::Result<ExitCode> {
    let arguments: JsonObject =
        serde_json::from_str(args).context("--args is not a JSON object")?;
    let (_runtime, registry) = load(&dir, cache).await?;
    let server = MoatServer::new(registry, false);
    // No client is connected to answer a plugin's questions: `ask` fails.
    let response = server
        .call(
            tool,
            Some(&arguments),
            ClientLink::default(),
            Caller::default(),
        )
        .await
        .map_err(|error| anyhow::anyhow!(error.message))?;
    let CallToolResponse::Complete(mut result) = response else {
        anyhow::bail!("`{tool}` asked for the client's input, which `moat call` cannot give");
    };
    // A protocol-era marker, not part of the result a user reads.
    result.result_type = None;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(if result.is_error == Some(true) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
