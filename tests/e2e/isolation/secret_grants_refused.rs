//! Secret grants that cannot be met, and `moat check`: a plugin asking for
//! a secret the store does not define, whose source is missing, that the
//! store scopes to another plugin, or with no store at all, is refused at
//! load with a message naming the secret and where to define it, and the
//! other plugins serve; `moat check` shows names and deliveries, never
//! values.

use crate::harness::{Served, math_still_works, moat_blocking};
use crate::isolation::secret_grants::{ENV_VALUE, HOST_VAR, MANIFEST, clean, serve, setup, store};

/// Serves `setup` (`serve`), checks that math serves and granted does not,
/// and returns the log.
async fn refused(command: tokio::process::Command) -> String {
    let served = Served::start_command(command).await;
    let names = served.tool_names().await;
    assert!(!names.iter().any(|n| n == "digest"), "{names:?}");
    math_still_works(&served).await;
    let log = served.stop().await;
    clean("moat's log", &log);
    log
}

#[tokio::test]
async fn a_secret_the_store_does_not_define_refuses_only_that_plugin() {
    let setup = setup(MANIFEST, &format!("API_KEY = {{ env = \"{HOST_VAR}\" }}\n"));
    let log = refused(serve(&setup)).await;
    assert!(
        log.contains("plugin `granted` refused")
            && log.contains("the secret `DB_PASSWORD`")
            && log.contains("does not define")
            && log.contains(&setup.store.canonicalize().unwrap().display().to_string()),
        "{log}"
    );
}

#[tokio::test]
async fn a_missing_source_is_named_with_its_secret() {
    let setup = setup(
        MANIFEST,
        "API_KEY = { env = \"MOAT_TEST_SURELY_UNSET\" }\nDB_PASSWORD = { file = \"gone\" }\n",
    );
    let log = refused(serve(&setup)).await;
    assert!(
        log.contains(
            "the secret `API_KEY` comes from the host environment variable `MOAT_TEST_SURELY_UNSET`"
        ) && log.contains("which is not set"),
        "{log}"
    );
    let setup = crate::isolation::secret_grants::setup(
        MANIFEST,
        &format!("API_KEY = {{ env = \"{HOST_VAR}\" }}\nDB_PASSWORD = {{ file = \"gone\" }}\n"),
    );
    let log = refused(serve(&setup)).await;
    assert!(
        log.contains("the secret `DB_PASSWORD` comes from the file") && log.contains("gone"),
        "{log}"
    );
}

#[tokio::test]
async fn without_a_store_a_plugin_asking_for_secrets_is_refused() {
    let setup = setup(MANIFEST, "");
    let mut command = crate::harness::moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(setup.plugins.path())
        .env(HOST_VAR, ENV_VALUE);
    let log = refused(command).await;
    assert!(
        log.contains("moat was started without a secret store") && log.contains("--secrets FILE"),
        "{log}"
    );
}

#[tokio::test]
async fn a_secret_scoped_to_another_plugin_is_refused() {
    let scoped = format!(
        "API_KEY = {{ env = \"{HOST_VAR}\", plugins = [\"weather\"] }}\nDB_PASSWORD = {{ file = \"db_password\" }}\n"
    );
    let setup = setup(MANIFEST, &scoped);
    // `weather`, the plugin it is for, gets it.
    let weather = setup.plugins.path().join("weather.wasm");
    std::fs::copy(moat_test_artifacts::GRANTED, &weather).unwrap();
    std::fs::write(
        weather.with_extension("toml"),
        format!("[tools]\nprefix = \"w\"\n{MANIFEST}"),
    )
    .unwrap();
    let served = Served::start_command(serve(&setup)).await;
    let names = served.tool_names().await;
    assert!(
        names.iter().any(|n| n == "w_digest") && !names.iter().any(|n| n == "digest"),
        "{names:?}"
    );
    let result = served
        .call("w_digest", serde_json::json!({"env": "WEATHER_API_KEY"}))
        .await;
    let text = serde_json::to_string(&result).unwrap();
    assert!(text.contains("sha256:"), "{text}");
    let log = served.stop().await;
    clean("moat's log", &log);
    assert!(
        log.contains("plugin `granted` refused")
            && log.contains("gives only to `weather`")
            && log.contains("not to `granted`"),
        "{log}"
    );
}

#[test]
fn check_shows_names_and_deliveries_never_values() {
    let setup = setup(MANIFEST, &store());
    let plugin = setup.plugins.path().join("granted.wasm");
    let output = moat_blocking()
        .arg("check")
        .arg(&plugin)
        .arg("--secrets")
        .arg(&setup.store)
        .env(HOST_VAR, ENV_VALUE)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    clean("moat check", &stdout);
    clean("moat check's log", &stderr);
    for line in [
        format!("granted secret API_KEY: as env WEATHER_API_KEY, from the store's env {HOST_VAR}"),
        "granted secret DB_PASSWORD: as file /run/secrets/db (read-only), from the store's file"
            .to_owned(),
        "/run/secrets (secret files, read-only)".to_owned(),
        "granted: only WEATHER_API_KEY".to_owned(),
    ] {
        assert!(stdout.contains(&line), "no `{line}` in {stdout}");
    }
    // Without the store: refused, exit 2, naming the flag.
    let output = moat_blocking().arg("check").arg(&plugin).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--secrets FILE"), "{stderr}");
}
