//! The servers: what each serves and how each is started over stdio (over
//! HTTP: [`crate::http`]).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rmcp::transport::TokioChildProcess;
use tokio::process::Command;

/// One of the servers compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Server {
    /// `moat serve` with the math plugin.
    Moat,
    /// A second `moat` binary (`--baseline`), run exactly as moat is: the
    /// same build before a change, say.
    #[value(skip)]
    Baseline,
    /// `moat serve` with the Python whole-server (`moat:plugin`) fixture,
    /// `py-server.wasm` (componentize-py).
    MoatPy,
    /// `moat serve` with the JavaScript whole-server (`moat:plugin`)
    /// fixture, `js-server.wasm` (jco, QuickJS).
    MoatJs,
    /// `moat serve` with the plain typed Python fixture, `py-calc.wasm`
    /// (`mul: func(x: f64, y: f64) -> f64`); skipped if the binary does not
    /// serve plain components.
    MoatPyPlain,
    /// `moat serve` with the plain typed JavaScript fixture, `js-calc.wasm`;
    /// skipped if the binary does not serve plain components.
    MoatJsPlain,
    /// `native-math`: rmcp, no sandbox.
    Native,
    /// `math_server.py`: the Python SDK's `MCPServer`.
    Python,
}

/// The math tools: what moat with the math plugin, native and python serve.
const MATH_TOOLS: &[&str] = &["add", "sub", "mul", "div"];

/// The tools of the Python and JavaScript whole-server fixtures.
const LANG_SERVER_TOOLS: &[&str] = &["mul", "div", "fail", "chatty"];

impl Server {
    /// The name in the report (and in `--servers`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Moat => "moat",
            Self::Baseline => "baseline",
            Self::MoatPy => "moat-py",
            Self::MoatJs => "moat-js",
            Self::MoatPyPlain => "moat-py-plain",
            Self::MoatJsPlain => "moat-js-plain",
            Self::Native => "native",
            Self::Python => "python",
        }
    }

    /// Whether this runs a `moat` binary, which serves a plugin directory.
    pub fn is_moat(self) -> bool {
        !matches!(self, Self::Native | Self::Python)
    }

    /// Whether this is a moat binary serving the math plugin (moat and
    /// baseline): the servers the workloads made of copies of the math
    /// plugin (many plugins, idle memory) measure.
    pub fn is_math_moat(self) -> bool {
        matches!(self, Self::Moat | Self::Baseline)
    }

    /// Whether this serves a plain typed component, which a moat binary
    /// without support for them refuses (it is then left out of the run).
    pub fn is_plain(self) -> bool {
        matches!(self, Self::MoatPyPlain | Self::MoatJsPlain)
    }

    /// The tools `tools/list` must answer, in any order, where the set is
    /// known; every server must serve `mul`.
    pub fn tools(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Moat | Self::Baseline | Self::Native | Self::Python => Some(MATH_TOOLS),
            Self::MoatPy | Self::MoatJs => Some(LANG_SERVER_TOOLS),
            Self::MoatPyPlain | Self::MoatJsPlain => None,
        }
    }
}

/// Where everything the servers need is.
pub struct Setup {
    /// The `moat` binary.
    pub moat: PathBuf,
    /// The `--baseline` moat binary, if any.
    pub baseline: Option<PathBuf>,
    /// Arguments added to `moat serve` of every moat server but baseline
    /// (`--moat-arg`).
    pub moat_args: Vec<String>,
    /// The math plugin.
    pub math: PathBuf,
    /// The plugin directory of each moat server measured, holding only its
    /// plugin (`math.wasm` for moat and baseline).
    pub plugins: HashMap<Server, PathBuf>,
    /// Where the compile caches go: one directory per moat binary.
    pub caches: PathBuf,
    /// The `native-math` binary.
    pub native: PathBuf,
    /// The Python interpreter with `mcp` installed.
    pub python: PathBuf,
    /// `bench/python/math_server.py`.
    pub script: PathBuf,
    /// Where each server's stderr goes.
    pub logs: PathBuf,
}

impl Setup {
    /// Starts `server` serving stdio, as a child process whose stdin and
    /// stdout are the transport, its stderr going to a log file named after
    /// `label`.
    pub fn stdio(&self, server: Server, label: &str) -> anyhow::Result<TokioChildProcess> {
        if server.is_moat() {
            return self.moat_stdio(server, self.plugin_dir(server)?, &self.cache(server), label);
        }
        let mut command = self.command(server)?;
        command.arg("stdio");
        self.spawn_stdio(server, command, label)
    }

    /// Starts the moat binary `server` serving stdio with the plugins in
    /// `plugins` and the compile cache `cache`, its stderr going to a log
    /// file named after `label`.
    pub fn moat_stdio(
        &self,
        server: Server,
        plugins: &Path,
        cache: &Path,
        label: &str,
    ) -> anyhow::Result<TokioChildProcess> {
        let mut command = self.command(server)?;
        command
            .arg("serve")
            .arg("--plugins")
            .arg(plugins)
            .arg("--cache")
            .arg(cache)
            .args(self.extra_args(server));
        self.spawn_stdio(server, command, label)
    }

    /// Spawns `command`, the stdio server `server` started for `label`.
    fn spawn_stdio(
        &self,
        server: Server,
        command: Command,
        label: &str,
    ) -> anyhow::Result<TokioChildProcess> {
        let (transport, _) = TokioChildProcess::builder(command)
            .stderr(self.log(server, label)?)
            .spawn()
            .with_context(|| format!("cannot start {}", server.name()))?;
        Ok(transport)
    }

    /// The `--moat-arg`s, for a moat server other than baseline.
    pub fn extra_args(&self, server: Server) -> &[String] {
        match server {
            Server::Baseline | Server::Native | Server::Python => &[],
            _ => &self.moat_args,
        }
    }

    /// The plugin directory of the moat server `server`.
    pub fn plugin_dir(&self, server: Server) -> anyhow::Result<&Path> {
        self.plugins
            .get(&server)
            .map(PathBuf::as_path)
            .with_context(|| format!("no plugin directory for {}", server.name()))
    }

    /// The compile cache of the moat server `server` for its plugin
    /// directory.
    pub fn cache(&self, server: Server) -> PathBuf {
        self.caches.join(server.name())
    }

    /// The program (and script) of `server`, without its arguments.
    pub fn command(&self, server: Server) -> anyhow::Result<Command> {
        let mut command = self.program(server)?;
        if server.is_moat() {
            // Start-up is timed to the first `tools/list` that lists every
            // tool: moat waits for all its plugins, however long a first
            // compile takes (`--startup-wait`, which older builds ignore
            // in this form).
            command.env("MOAT_STARTUP_WAIT", "10m");
        }
        Ok(command)
    }

    /// The program (and script) of `server`.
    fn program(&self, server: Server) -> anyhow::Result<Command> {
        Ok(match server {
            Server::Moat
            | Server::MoatPy
            | Server::MoatJs
            | Server::MoatPyPlain
            | Server::MoatJsPlain => Command::new(&self.moat),
            Server::Baseline => {
                Command::new(self.baseline.as_ref().context("no --baseline binary")?)
            }
            Server::Native => Command::new(&self.native),
            Server::Python => {
                let mut command = Command::new(&self.python);
                command.arg(&self.script);
                command
            }
        })
    }

    /// A new log file for `server`'s stderr.
    fn log(&self, server: Server, label: &str) -> anyhow::Result<File> {
        Ok(File::create(self.log_path(server, label))?)
    }

    /// Where `server`'s stderr goes when started for `label`.
    pub fn log_path(&self, server: Server, label: &str) -> PathBuf {
        self.logs.join(format!("{}-{label}.log", server.name()))
    }

    /// What `server` wrote to stderr when started for `label`, to explain a
    /// failure.
    pub fn log_text(&self, server: Server, label: &str) -> String {
        std::fs::read_to_string(self.log_path(server, label)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum as _;

    use super::*;

    #[test]
    fn names_are_the_values_of_servers() {
        for server in Server::value_variants() {
            let value = server.to_possible_value().unwrap();
            assert_eq!(value.get_name(), server.name());
        }
        assert_eq!(
            Server::from_str("moat-js-plain", false),
            Ok(Server::MoatJsPlain)
        );
        assert!(Server::from_str("baseline", false).is_err());
    }
}
