//! `moat dev DIR` on a Python and on a JavaScript plugin directory: an
//! author edits, breaks and fixes `app.py`/`app.js` while a client stays
//! connected. The toolchains are those `make lang-fixtures` installed,
//! linked into the copy where moat looks first (`.venv/`, `node_modules/`).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::text;
use crate::languages::langs::cache;
use crate::lifecycle::watched::Watched;

/// A fixture's source directory, copied to `to` (symbolic links, such as
/// `wit/deps/moat-plugin`, followed), as an author's own directory.
fn copy_source(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if std::fs::metadata(entry.path()).unwrap().is_dir() {
            copy_source(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `target/NAME`, where `make lang-fixtures` installs a toolchain.
fn toolchain(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target")
        .join(name);
    assert!(
        dir.is_dir(),
        "{} is missing: run `make lang-fixtures` first",
        dir.display()
    );
    dir.canonicalize().unwrap()
}

/// Calls `mul` until it answers `expected` (the same tools, so no
/// `list_changed`), with a safety net against a hang: a Python build and
/// its compile take tens of seconds.
async fn answers(served: &Watched, expected: f64) {
    let start = Instant::now();
    while product(served).await != expected {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "mul did not answer {expected} within 180 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn product(served: &Watched) -> f64 {
    let result = served.call("mul", json!({"x": 25, "y": 17})).await;
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.structured_content.unwrap()["result"]
        .as_f64()
        .unwrap()
}

/// Edits `app` in `dir`, replacing `from` by `to`.
fn edit(app: &Path, from: &str, to: &str) {
    let source = std::fs::read_to_string(app).unwrap();
    assert!(source.contains(from), "{from} in {}", app.display());
    std::fs::write(app, source.replace(from, to)).unwrap();
}

/// The author's loop on the whole-server fixture `fixture` (in
/// `tests/fixtures/`), whose `mul` computes `product_expr`; `mistake`
/// (replace what with what) breaks the build, which then prints `broken`.
async fn author_loop(
    fixture: &str,
    app: &str,
    product_expr: &str,
    mistake: (&str, &str),
    broken: &str,
) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("calc");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    copy_source(&source.join(fixture), &dir);
    match app {
        "app.py" => std::os::unix::fs::symlink(toolchain("lang-venv"), dir.join(".venv")),
        _ => std::os::unix::fs::symlink(
            toolchain("lang-node").join("node_modules"),
            dir.join("node_modules"),
        ),
    }
    .unwrap();
    let app = dir.join(app);
    let cache = cache();
    let args = [
        "--cache".as_ref(),
        cache.as_os_str(),
        "dev".as_ref(),
        dir.as_os_str(),
    ];
    let (mut served, mut log) = Watched::run_logged(args).await;
    assert_eq!(served.tools().await, ["mul", "div", "fail", "chatty"]);
    assert_eq!(product(&served).await, 425.0);
    assert!(dir.join(".moat/calc.wasm").is_file());

    // An edit: built by the language's toolchain and swapped in.
    edit(&app, product_expr, &format!("{product_expr} + 1"));
    answers(&served, 426.0).await;

    // A mistake: the toolchain's error on stderr, and the last good build
    // answers.
    log.skip();
    edit(&app, mistake.0, mistake.1);
    let error = log.wait_for(broken).await;
    log.wait_for("the build failed").await;
    assert_eq!(product(&served).await, 426.0, "{error}");
    assert!(!served.has_changed());
    let said = served.call("chatty", json!({"message": "hi"})).await;
    assert_eq!(text(&said), "said hi");
}

#[tokio::test]
async fn a_python_directory_is_rebuilt_on_save_and_a_broken_build_keeps_the_last_good_one() {
    author_loop(
        "python/server",
        "app.py",
        r#"args["x"] * args["y"]"#,
        (
            "def call(self, name, arguments):",
            "def call(self, name, arguments)",
        ),
        "SyntaxError",
    )
    .await;
}

#[tokio::test]
async fn a_javascript_directory_is_rebuilt_on_save_and_a_broken_build_keeps_the_last_good_one() {
    author_loop(
        "js/server",
        "app.js",
        "args.x * args.y",
        (
            "call(name, argumentsJson) {",
            "call(name, argumentsJson) {{",
        ),
        "unexpected token",
    )
    .await;
}
