//! `moat serve`: load a plugin directory and serve it over stdio or
//! Streamable HTTP, reloading it with `--watch`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args;
use rmcp::ServiceExt as _;
use rmcp::service::ServerInitializeError;

use super::replicas;
use super::telemetry::{self, TelemetryArgs};
use crate::access::{Access, AccessArgs};
use crate::observe::audit::AuditArgs;
use crate::observe::{Observer, Sink};
use crate::plugins::lock::{self, Locked};
use crate::plugins::readiness::Readiness;
use crate::plugins::{Loader, startup};
use crate::protocol::{Instrumented, MoatServer, Retry};
use crate::runtime::{CompileCache, Runtime};
use crate::sandbox::limits;
use crate::sandbox::secret_store::SecretStore;
use crate::transport::http::{HttpArgs, Lifecycle};

/// The flags of `moat serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Directory holding NAME.wasm plugin components.
    #[arg(long, value_name = "DIR")]
    pub plugins: PathBuf,
    /// Reload plugins as their files change, and tell clients.
    #[arg(long)]
    pub watch: bool,
    /// Serve only plugins whose tool definitions match the lock written
    /// by `moat lock`; refuse (and log) any that differ.
    #[arg(long)]
    pub locked: bool,
    /// The lock file [default: DIR/moat.lock].
    #[arg(long, value_name = "FILE", requires = "locked")]
    pub lock: Option<PathBuf>,
    /// Start serving after this long even if some plugins are still
    /// loading (a large component compiling for the first time); each is
    /// served when it has loaded, and clients are told. `0s` serves at
    /// once.
    #[arg(long, value_name = "DURATION", env = "MOAT_STARTUP_WAIT",
        default_value_t = startup::DEFAULT_WAIT.into())]
    pub startup_wait: humantime::Duration,
    /// Refuse each plugin with a lint finding of severity error that its
    /// manifest does not accept (else findings are only logged).
    #[arg(long)]
    pub strict: bool,
    /// The operator's secret store: a TOML file naming, for each secret a
    /// manifest may ask for (`[capabilities.secrets]`), the file or host
    /// environment variable its value comes from, and optionally which
    /// plugins may have it. It holds no values itself. Without it, a
    /// plugin asking for a secret is refused.
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
    /// How many plugin instances may exist at once, across all plugins
    /// (running calls and their spares). Each reserves 4 GiB of address
    /// space at start; lower it where address space is capped (`ulimit
    /// -v`, `vm.overcommit_memory = 2`, valgrind). A call past it is a
    /// tool error.
    #[arg(long, value_name = "N", default_value_t = limits::MAX_INSTANCES,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(limits::MAX_INSTANCES)))]
    pub max_instances: u32,
    /// Streamable HTTP instead of stdio, and its limits.
    #[command(flatten)]
    pub http: HttpArgs,
    /// The authorization policy and rate limits.
    #[command(flatten)]
    pub access: AccessArgs,
    /// The audit log.
    #[command(flatten)]
    pub audit: AuditArgs,
    /// Metrics and traces.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,
}

/// Serves the plugin directory of `args` over stdio, or over HTTP with
/// `--http`, until the client disconnects (stdio) or the process is stopped.
pub async fn run(args: ServeArgs, cache: CompileCache) -> anyhow::Result<ExitCode> {
    // Absolute, so that the paths the watcher reports match the loaded ones.
    let dir = args.plugins.canonicalize().with_context(|| {
        format!(
            "cannot read the plugin directory {}",
            args.plugins.display()
        )
    })?;
    let lock = match args.locked.then_some(args.lock) {
        Some(file) => {
            let file = file.unwrap_or_else(|| dir.join(lock::FILE_NAME));
            let file = file.canonicalize().unwrap_or(file);
            let locked = Locked::read(&file).context(
                "--locked serves only what the lock approves; write it with `moat lock --plugins DIR`",
            )?;
            Some(locked)
        }
        None => None,
    };
    // Before loading plugins: a bad policy or key file refuses to start at
    // once.
    let access = Access::open(&args.access)?;
    let retry = args
        .http
        .state_key_file
        .as_deref()
        .map(Retry::from_key_file)
        .transpose()?;
    let runtime = Runtime::with_pool(cache, args.max_instances)?
        .with_secrets(secret_store(args.secrets.as_deref())?);
    let audit = args.audit.open()?.map(Arc::new);
    let metrics = args.telemetry.metrics()?;
    let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
    if let Some(audit) = &audit {
        sinks.push(audit.clone());
    }
    if let Some(metrics) = &metrics {
        sinks.push(metrics.calls());
    }
    let observer = Observer::new(sinks);
    let loader = Loader::new(runtime.clone(), lock)
        .strict(args.strict)
        .with_observer(observer.clone());
    let (registry, late) = startup::load_within(&dir, &loader, args.startup_wait.into()).await?;
    let tools = registry.current().tools().len();
    let plugins = registry.current().plugins().len();
    let watch = args.watch;
    if let Some(metrics) = &metrics {
        telemetry::probe_registry(metrics, &registry)?;
    }
    args.telemetry.serve_metrics(&metrics).await?;
    let shared = args.http.shared()?;
    let mut server = MoatServer::new(
        registry.clone(),
        watch || late.is_some() || shared.is_some(),
    )
    .with_observer(observer)
    .with_access(access.clone());
    if let Some(retry) = retry {
        server = server.with_retry(retry);
    }
    let readiness = Readiness::new(&dir, registry.clone(), loader.clone());
    let _listening = shared
        .as_ref()
        .map(|shared| replicas::listen(shared, &server, &dir, &loader, &registry));
    let _reloads = {
        let server = server.clone();
        let shared = shared.clone();
        access.start(watch, move || {
            let server = server.clone();
            replicas::publish(&shared);
            async move { server.tools_changed().await }
        })?
    };
    let instrumented = Instrumented::new(server.clone(), metrics.as_ref().map(|m| m.methods()));
    let _late = late.map(|late| {
        let server = server.clone();
        late.serve_as_loaded(move || {
            let server = server.clone();
            async move { server.tools_changed().await }
        })
    });
    let _watch = if watch {
        tracing::info!("watching {} for changes", dir.display());
        let server = server.clone();
        let shared = shared.clone();
        Some(crate::plugins::watcher::watch(
            &dir,
            loader,
            registry,
            move || {
                let server = server.clone();
                replicas::publish(&shared);
                async move { server.tools_changed().await }
            },
        )?)
    } else {
        None
    };
    let serving = format!(
        "{tools} tool{} from {plugins} plugin{}",
        plural(tools),
        plural(plugins)
    );
    // Over HTTP a signal drains and ends serving; then the spans held are
    // sent and the audit lines queued are written before the process exits.
    let served = match args.http.options() {
        Some(mut options) => {
            options.metrics = args.telemetry.http_metrics;
            options.shared = shared;
            let lifecycle = Lifecycle {
                readiness: Some(readiness),
                stop: Box::pin(stopped()?),
            };
            crate::transport::http::serve(instrumented, options, metrics, lifecycle, |addr| {
                tracing::info!(
                    "serving {serving} over Streamable HTTP at http://{addr}{}",
                    crate::transport::http::PATH
                );
            })
            .await
            .map(|()| ExitCode::SUCCESS)
        }
        None => serve_stdio(instrumented, &serving).await,
    };
    if let Some(audit) = audit {
        audit.flush();
    }
    served
}

/// A future that resolves at SIGTERM or SIGINT. The handlers are installed
/// at once, so that a signal before the future is first polled is not lost
/// (nor kills the process, as it would without a handler).
fn stopped() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
        }
    })
}

/// Serves `server` to one client over stdio until it disconnects.
pub async fn serve_stdio(server: Instrumented, serving: &str) -> anyhow::Result<ExitCode> {
    let launch = std::env::args().collect::<Vec<_>>().join(" ");
    tracing::info!("serving {serving} over stdio; an MCP client connects by launching `{launch}`");
    if std::io::stdin().is_terminal() {
        tracing::info!(
            "stdin is a terminal, but moat speaks MCP there: try `npx @modelcontextprotocol/inspector {launch}`"
        );
    }
    // rmcp ends the handshake at the first message that is neither a
    // request nor `initialize`: a notification or a response sent early
    // (which JSON-RPC forbids answering). Such a message is dropped and the
    // handshake starts over on the same stdin, so the later `initialize`
    // works; so does one after an `initialize` that rmcp answered with an
    // error.
    let stdio = crate::transport::stdio::Stdio::new();
    let service = loop {
        match server.clone().serve(stdio.clone()).await {
            Ok(service) => break service,
            Err(ServerInitializeError::ExpectedInitializeRequest(message)) => {
                let kind = match message {
                    Some(rmcp::model::JsonRpcMessage::Notification(_)) => "a notification",
                    _ => "a response",
                };
                tracing::info!("ignored {kind} sent before `initialize`");
            }
            Err(ServerInitializeError::InitializeFailed(error)) => {
                tracing::info!(
                    "`initialize` failed ({}); waiting for another",
                    error.message
                );
            }
            Err(ServerInitializeError::ConnectionClosed(_)) => {
                tracing::info!("stdin closed before a client connected; exiting");
                return Ok(ExitCode::SUCCESS);
            }
            Err(error) => return Err(error).context("the MCP session failed to start"),
        }
    };
    service.waiting().await.context("the MCP session failed")?;
    tracing::info!("client disconnected; exiting");
    Ok(ExitCode::SUCCESS)
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The secret store at `file` (`--secrets`), if given.
pub fn secret_store(file: Option<&std::path::Path>) -> anyhow::Result<Option<SecretStore>> {
    let Some(file) = file else {
        return Ok(None);
    };
    let store = SecretStore::read(file)?;
    tracing::info!("secrets come from the store {}", store.path().display());
    Ok(Some(store))
}
