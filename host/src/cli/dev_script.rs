//! The Python and JavaScript half of `moat dev`: a plugin directory built
//! by its language's toolchain.
//!
//! A directory is a Python plugin if it holds `app.py` and `wit/`, and a
//! JavaScript plugin if it holds `app.js` and `wit/`. The WIT directory's
//! package has one world (the toolchains pick it). The build goes to
//! `DIR/.moat/NAME.wasm`, `NAME` being the directory's name; the
//! toolchain's output, diagnostics included, goes to stderr.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context as _, bail};
use tokio::process::Command;

/// The languages a plugin directory may be written in, besides Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// `app.py`, built by componentize-py.
    Python,
    /// `app.js`, built by jco (componentize-js, QuickJS backend).
    JavaScript,
}

impl Language {
    /// The language of the plugin directory `dir`, if it is one: its app
    /// module and a `wit/` directory beside it.
    pub fn of(dir: &Path) -> Option<Self> {
        if !dir.join("wit").is_dir() {
            return None;
        }
        [Self::Python, Self::JavaScript]
            .into_iter()
            .find(|language| dir.join(language.app()).is_file())
    }

    /// The module the toolchain builds.
    fn app(self) -> &'static str {
        match self {
            Self::Python => "app.py",
            Self::JavaScript => "app.js",
        }
    }

    /// The toolchain's program, and where in the directory an install of
    /// it is looked for before `PATH`.
    fn toolchain(self) -> (&'static str, &'static str) {
        match self {
            Self::Python => ("componentize-py", ".venv/bin"),
            Self::JavaScript => ("jco", "node_modules/.bin"),
        }
    }

    /// How to install the toolchain, for the error when it is missing.
    fn install_hint(self) -> &'static str {
        match self {
            Self::Python => "pip install componentize-py==0.25.1 (in DIR/.venv or on PATH)",
            Self::JavaScript => {
                "npm install --save-dev @bytecodealliance/jco@1.35.0 @bytecodealliance/componentize-js@0.23.0 in DIR, with \"overrides\": {\"@bytecodealliance/preview2-shim\": \"0.25.0\"} in its package.json"
            }
        }
    }
}

/// A Python or JavaScript plugin directory under development.
pub struct Script {
    language: Language,
    /// The plugin's directory, absolute.
    dir: PathBuf,
    /// The toolchain's program.
    program: PathBuf,
    /// Where each good build is written: `DIR/.moat/NAME.wasm`.
    component: PathBuf,
}

impl Script {
    /// The plugin directory `dir`, written in `language`, and its toolchain.
    pub fn locate(dir: &Path, language: Language) -> anyhow::Result<Self> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("cannot read {}", dir.display()))?;
        let (program, local) = language.toolchain();
        let program = find_program(program, &dir.join(local)).with_context(|| {
            format!(
                "{} is a {language:?} plugin, but {program} is neither in {} nor on PATH: {}",
                dir.display(),
                dir.join(local).display(),
                language.install_hint()
            )
        })?;
        let name = dir
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plugin".into());
        let component = dir.join(".moat").join(format!("{name}.wasm"));
        Ok(Self {
            language,
            dir,
            program,
            component,
        })
    }

    /// The plugin's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Builds the component; returns it, or `None` if the toolchain failed
    /// (it has already said why, on stderr).
    pub async fn build(&self) -> anyhow::Result<Option<PathBuf>> {
        let out = self.component.parent().expect("the component is in .moat/");
        tokio::fs::create_dir_all(out)
            .await
            .with_context(|| format!("cannot create {}", out.display()))?;
        let partial = self.component.with_extension("wasm.partial");
        let mut command = Command::new(&self.program);
        match self.language {
            Language::Python => command
                .args(["-d", "wit", "componentize", "-p", ".", "app", "-o"])
                .arg(&partial),
            // QuickJS is a tenth of StarlingMonkey's size and compile time;
            // without `--backend-qjs-disable-async` the component needs
            // the component model's async feature, which moat refuses.
            Language::JavaScript => command
                .args(["componentize", "app.js", "--wit", "wit"])
                .args(["--backend", "quickjs", "--backend-qjs-disable-async", "-o"])
                .arg(&partial),
        };
        let status = command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            // stdout is the MCP stream: what the toolchain prints goes to stderr.
            .stdout(std::io::stderr())
            .stderr(std::io::stderr())
            .kill_on_drop(true)
            .status()
            .await
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        if !status.success() || !partial.is_file() {
            return Ok(None);
        }
        tokio::fs::rename(&partial, &self.component).await?;
        Ok(Some(self.component.clone()))
    }

    /// Whether a change to `path` can change the build: anything in the
    /// directory but hidden or backup files (the build's own `.moat/`, an
    /// editor's swap files), `node_modules/` and `__pycache__/`.
    pub fn is_source(&self, path: &Path) -> bool {
        path.strip_prefix(&self.dir).is_ok_and(|inside| {
            !inside.components().any(|part| {
                let part = part.as_os_str().to_string_lossy();
                part.starts_with('.')
                    || part.ends_with('~')
                    || part == "node_modules"
                    || part == "__pycache__"
            })
        })
    }
}

/// `program` in `local` if it is there, else the first on `PATH`.
fn find_program(program: &str, local: &Path) -> anyhow::Result<PathBuf> {
    let here = local.join(program);
    if here.is_file() {
        return Ok(here);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    match std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
    {
        Some(found) => Ok(found),
        None => bail!("{program} not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_told_by_its_app_module_and_wit() {
        let dir = std::env::temp_dir().join(format!("moat-dev-lang-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("wit")).unwrap();
        assert_eq!(Language::of(&dir), None);
        std::fs::write(dir.join("app.js"), "").unwrap();
        assert_eq!(Language::of(&dir), Some(Language::JavaScript));
        std::fs::write(dir.join("app.py"), "").unwrap();
        assert_eq!(Language::of(&dir), Some(Language::Python));
        std::fs::remove_dir_all(dir.join("wit")).unwrap();
        assert_eq!(Language::of(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn builds_and_installs_are_not_sources() {
        let script = Script {
            language: Language::Python,
            dir: PathBuf::from("/p/calc"),
            program: PathBuf::from("componentize-py"),
            component: PathBuf::from("/p/calc/.moat/calc.wasm"),
        };
        assert!(script.is_source(Path::new("/p/calc/app.py")));
        assert!(script.is_source(Path::new("/p/calc/wit/calc.wit")));
        for other in [
            "/p/calc/.moat/calc.wasm",
            "/p/calc/__pycache__/app.cpython-311.pyc",
            "/p/calc/node_modules/x/index.js",
            "/p/calc/.app.py.swp",
            "/p/calc/app.py~",
            "/p/other/app.py",
        ] {
            assert!(!script.is_source(Path::new(other)), "{other}");
        }
    }
}
