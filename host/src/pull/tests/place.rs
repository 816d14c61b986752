use crate::pull::place::Staging;
use crate::runtime::{CompileCache, Runtime};

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_component_that_fails_to_load_leaves_the_directory_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("other.wasm"), b"someone else's").unwrap();
    let runtime = Runtime::with_cache(CompileCache::Off).unwrap();
    let staging = Staging::new(dir.path(), "math").unwrap();
    std::fs::write(staging.wasm(), b"\0asm but not a component").unwrap();
    assert_eq!(
        names(dir.path()).len(),
        2,
        "the staging directory is inside DIR"
    );
    let Err(error) = staging.check(&runtime).await else {
        panic!("a module that is no component loaded");
    };
    assert!(format!("{error:#}").contains("does not load"), "{error:#}");
    drop(staging);
    assert_eq!(names(dir.path()), ["other.wasm"]);
}

#[tokio::test]
async fn a_checked_component_is_renamed_in_and_an_other_file_is_kept_unless_replace() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::with_cache(CompileCache::Off).unwrap();
    let math = std::fs::read(moat_test_artifacts::MATH).unwrap();
    std::fs::write(dir.path().join("math.wasm"), b"older bytes").unwrap();
    let stage = || {
        let staging = Staging::new(dir.path(), "math").unwrap();
        std::fs::write(staging.wasm(), &math).unwrap();
        staging
    };
    let staging = stage();
    let plugin = staging.check(&runtime).await.unwrap();
    let error = staging.commit(&plugin, false).unwrap_err().to_string();
    assert!(error.contains("exists with other bytes"), "{error}");
    assert_eq!(names(dir.path()), ["math.wasm"]);
    assert_eq!(
        std::fs::read(dir.path().join("math.wasm")).unwrap(),
        b"older bytes"
    );
    let staging = stage();
    let plugin = staging.check(&runtime).await.unwrap();
    staging.commit(&plugin, true).unwrap();
    assert_eq!(names(dir.path()), ["math.wasm"]);
    assert_eq!(std::fs::read(dir.path().join("math.wasm")).unwrap(), math);
}
