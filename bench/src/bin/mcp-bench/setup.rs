//! What the servers need, found from the command line and checked to be
//! there, with a hint on how to build what is missing: each moat server's
//! plugin directory (holding only its plugin), the other servers' programs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::Cli;
use crate::servers::{Server, Setup};

/// Finds what `cli`'s servers need, and writes each moat server's plugin
/// directory under `temp`.
pub fn setup(cli: &Cli, temp: &Path) -> anyhow::Result<Setup> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the workspace root")?;
    let here = std::env::current_exe()?;
    let bin_dir = here.parent().context("the directory of mcp-bench")?;
    let native = bin_dir.join("native-math");
    let at =
        |path: &Option<PathBuf>, default: &str| path.clone().unwrap_or_else(|| root.join(default));
    let moat = at(&cli.moat, "target/release/moat");
    let math = at(
        &cli.math_wasm,
        "plugins/target/wasm32-wasip2/release/math.wasm",
    );
    let python = at(&cli.python, "target/venv/bin/python");
    let script = root.join("bench/python/math_server.py");
    require(&moat, "build it with `cargo build --release -p moat`")?;
    if let Some(baseline) = &cli.baseline {
        require(baseline, "--baseline names a moat binary")?;
    }
    require(&math, "build it with `cd plugins && cargo build --release`")?;
    require(
        &native,
        "build it with `cargo build --release -p moat-bench`",
    )?;
    if cli.servers.contains(&Server::Python) {
        require(
            &python,
            "create it with `make test-python`, or `python3 -m venv target/venv && \
             target/venv/bin/pip install -r bench/python/requirements.txt`; \
             or pass --python, or leave it out with --servers moat,native",
        )?;
        require(&script, "it is part of the repository")?;
    }
    let lang =
        |path: &Option<PathBuf>, file: &str| at(path, &format!("target/lang-fixtures/{file}"));
    // Each moat server's plugin, and the option that names another.
    let wasm = [
        (Server::Moat, math.clone(), "--math-wasm"),
        (Server::Baseline, math.clone(), "--math-wasm"),
        (
            Server::MoatPy,
            lang(&cli.py_plugin, "py-server.wasm"),
            "--py-plugin",
        ),
        (
            Server::MoatJs,
            lang(&cli.js_plugin, "js-server.wasm"),
            "--js-plugin",
        ),
        (
            Server::MoatPyPlain,
            lang(&cli.py_plain_plugin, "py-calc.wasm"),
            "--py-plain-plugin",
        ),
        (
            Server::MoatJsPlain,
            lang(&cli.js_plain_plugin, "js-calc.wasm"),
            "--js-plain-plugin",
        ),
    ];
    let mut plugins = HashMap::new();
    for (server, component, option) in wasm.iter().filter(|(server, ..)| match server {
        Server::Baseline => cli.baseline.is_some(),
        _ => cli.servers.contains(server),
    }) {
        let server = *server;
        if !server.is_math_moat() {
            require(
                component,
                &format!(
                    "build it with `make lang-fixtures` (it writes target/lang-fixtures/), \
                     or pass {option} PATH, or leave {} out of --servers",
                    server.name()
                ),
            )?;
        }
        let dir = temp.join(format!("plugins-{}", server.name()));
        std::fs::create_dir_all(&dir)?;
        let name = match server.is_math_moat() {
            true => "math.wasm".as_ref(),
            false => component.file_name().context("a plugin file name")?,
        };
        std::fs::copy(component, dir.join(name))?;
        plugins.insert(server, dir);
    }
    let logs = temp.join("logs");
    std::fs::create_dir_all(&logs)?;
    Ok(Setup {
        moat,
        baseline: cli.baseline.clone(),
        moat_args: cli.moat_arg.clone(),
        math,
        plugins,
        caches: temp.join("caches"),
        native,
        python,
        script,
        logs,
    })
}

/// Fails with `hint` unless `path` exists.
fn require(path: &Path, hint: &str) -> anyhow::Result<()> {
    if !path.exists() {
        bail!("{} is missing: {hint}", path.display());
    }
    Ok(())
}
