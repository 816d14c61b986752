//! The `moat` command: serve, list and call WebAssembly MCP plugins.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use rmcp::ServiceExt as _;
use rmcp::model::JsonObject;
use tracing_subscriber::EnvFilter;

use moat::plugin::LoadedPlugin;
use moat::runtime::{CompileCache, Runtime};
use moat::server::MoatServer;
use moat::startup;

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

#[derive(Subcommand)]
enum Command {
    /// Serve the plugins in a directory to an MCP client over stdio.
    Serve {
        /// Directory holding NAME.wasm plugin components.
        #[arg(long, value_name = "DIR")]
        plugins: PathBuf,
        /// Reload plugins as their files change, and tell clients.
        #[arg(long)]
        watch: bool,
    },
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
    Check {
        /// The plugin, `NAME.wasm`; its manifest is `NAME.toml` beside it.
        plugin: PathBuf,
    },
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
    // Logs go to stderr through a background writer that drops lines rather
    // than block when stderr is a pipe nobody reads; the guard flushes at exit.
    let (stderr, _flush_on_exit) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn")),
        )
        .init();
    let cli = Cli::parse();
    let cache = match (cli.no_cache, cli.cache) {
        (true, _) => CompileCache::Off,
        (false, Some(dir)) => CompileCache::In(dir),
        (false, None) => CompileCache::Default,
    };
    match run(cli.command, cache).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(command: Command, cache: CompileCache) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { plugins, watch } => serve(plugins, watch, cache).await,
        Command::List { plugins, json } => list(plugins, json, cache).await,
        Command::Check { plugin } => check(plugin, cache).await,
        Command::Call {
            tool,
            args,
            plugins,
        } => call(plugins, &tool, &args, cache).await,
    }
}

async fn serve(dir: PathBuf, watch: bool, cache: CompileCache) -> anyhow::Result<ExitCode> {
    // Absolute, so that the paths the watcher reports match the loaded ones.
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read the plugin directory {}", dir.display()))?;
    let (runtime, registry) = startup::load(&dir, cache).await?;
    let tools = registry.current().tools().len();
    let plugins = registry.current().plugins().len();
    let server = MoatServer::new(runtime.clone(), registry.clone(), watch);
    let _watch = if watch {
        tracing::info!("watching {} for changes", dir.display());
        Some(moat::watcher::watch(
            &dir,
            runtime,
            registry,
            server.clone(),
        )?)
    } else {
        None
    };
    let launch = std::env::args().collect::<Vec<_>>().join(" ");
    tracing::info!(
        "serving {tools} tool{} from {plugins} plugin{} over stdio; an MCP client connects by launching `{launch}`",
        plural(tools),
        plural(plugins)
    );
    if std::io::stdin().is_terminal() {
        tracing::info!(
            "stdin is a terminal, but moat speaks MCP there: try `npx @modelcontextprotocol/inspector {launch}`"
        );
    }
    let service = match server.clone().serve(moat::stdio::Stdio::new()).await {
        Ok(service) => service,
        Err(rmcp::service::ServerInitializeError::ConnectionClosed(_)) => {
            tracing::info!("stdin closed before a client connected; exiting");
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => return Err(error).context("the MCP session failed to start"),
    };
    if watch {
        server.add_peer(service.peer().clone());
    }
    service.waiting().await.context("the MCP session failed")?;
    tracing::info!("client disconnected; exiting");
    Ok(ExitCode::SUCCESS)
}

async fn list(dir: PathBuf, json: bool, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let (_runtime, registry) = startup::load(&dir, cache).await?;
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
    }
    Ok(ExitCode::SUCCESS)
}

async fn check(path: PathBuf, cache: CompileCache) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::with_cache(cache)?;
    let plugin = LoadedPlugin::load(&runtime, &path).await?;
    print!("{}", moat::check::report(&plugin, &runtime));
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
    let (runtime, registry) = startup::load(&dir, cache).await?;
    let server = MoatServer::new(runtime, registry, false);
    let result = server
        .call(tool, Some(&arguments))
        .await
        .map_err(|error| anyhow::anyhow!(error.message))?;
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
