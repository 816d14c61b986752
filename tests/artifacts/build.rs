//! Builds the `plugins/` and `tests/fixtures/` workspaces for wasm32-wasip2
//! and writes one path constant per plugin (`MATH` for `plugins/math`,
//! `HOSTILE` for `tests/fixtures/hostile`), and per sample bundle
//! (`FILES_BUNDLE` for `plugins/files/bundle`), into `$OUT_DIR/plugins.rs`;
//! and assembles the two-memory fixture (`TWO_MEMORIES_24`, `TWO_MEMORIES_12`).

mod two_memories;

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../..");
    for watched in ["plugins", "tests/fixtures", "plugin-sdk", "wit"] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    let mut consts = String::new();
    for workspace in ["plugins", "tests/fixtures"] {
        write_consts(&root.join(workspace), &mut consts);
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    for (pages, mib) in [(384, 24), (192, 12)] {
        let wasm = out_dir.join(format!("two_memories_{mib}.wasm"));
        std::fs::write(&wasm, two_memories::build(&root, pages)).unwrap();
        let doc = format!("A component with two memories of {mib} MiB each.");
        push_const(&mut consts, &doc, &format!("TWO_MEMORIES_{mib}"), &wasm);
    }
    std::fs::write(out_dir.join("plugins.rs"), consts).unwrap();
}

/// Builds one workspace and writes the constants for its members.
fn write_consts(workspace: &Path, consts: &mut String) {
    let target_dir = workspace.join("target");
    build(&workspace.join("Cargo.toml"), &target_dir);
    for name in members(workspace) {
        let wasm = target_dir
            .join(TARGET)
            .join("release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        assert!(
            wasm.is_file(),
            "the build did not produce {}",
            wasm.display()
        );
        let constant = name.to_uppercase().replace('-', "_");
        let doc = format!("The `{name}` plugin, built for {TARGET}.");
        push_const(consts, &doc, &constant, &wasm);
        let bundle = workspace.join(&name).join("bundle");
        if bundle.is_dir() {
            let doc =
                format!("What an operator drops beside `{name}.wasm`: its manifest and data.");
            push_const(consts, &doc, &format!("{constant}_BUNDLE"), &bundle);
        }
    }
}

/// Appends `pub const NAME: &str = "/absolute/path";` with a doc comment.
fn push_const(consts: &mut String, doc: &str, name: &str, path: &Path) {
    let path = path.canonicalize().unwrap().display().to_string();
    writeln!(consts, "/// {doc}\npub const {name}: &str = {path:?};").unwrap();
}

/// Runs a nested `cargo build` with a clean environment, so that flags meant
/// for the host build (and its target directory lock) do not leak into it.
fn build(manifest: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir);
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_MAKEFLAGS"
            || key.starts_with("RUSTC")
            || key == "RUSTFLAGS"
        {
            command.env_remove(&*key);
        }
    }
    let status = command.status().expect("cannot run cargo");
    assert!(
        status.success(),
        "building the sample plugins failed; if the target is missing, run `rustup target add {TARGET}`"
    );
}

/// Plugin crates: the directories of `plugins/` that hold a `Cargo.toml`.
fn members(plugins: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(plugins)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
