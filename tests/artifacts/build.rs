//! Builds the `plugins/` workspace for wasm32-wasip2 and writes one path
//! constant per plugin (`MATH` for `plugins/math`) into `$OUT_DIR/plugins.rs`.

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../..");
    let plugins = root.join("plugins");
    for watched in ["plugins", "plugin-sdk", "wit"] {
        println!("cargo::rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = plugins.join("target");
    build(&plugins.join("Cargo.toml"), &target_dir);

    let mut consts = String::new();
    for name in members(&plugins) {
        let wasm = target_dir
            .join(TARGET)
            .join("release")
            .join(format!("{}.wasm", name.replace('-', "_")));
        assert!(
            wasm.is_file(),
            "the build did not produce {}",
            wasm.display()
        );
        writeln!(
            consts,
            "/// The `{name}` sample plugin, built for {TARGET}.\npub const {}: &str = {:?};",
            name.to_uppercase().replace('-', "_"),
            wasm.canonicalize().unwrap().display().to_string(),
        )
        .unwrap();
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("plugins.rs");
    std::fs::write(out, consts).unwrap();
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
