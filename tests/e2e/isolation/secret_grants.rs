//! `[capabilities.secrets]` and `moat serve --secrets FILE`, through the
//! real binary and the `granted` fixture (which reads a secret from an
//! environment variable or a file and tells its SHA-256, or echoes it into
//! every place it can): the granted secret reaches the plugin, as the
//! variable or the file it was granted and nothing else; echoed, it is
//! redacted from every answer, error, stderr line and log line; it never
//! shows in moat's log at `trace`, in the audit log, or in `moat check`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use rmcp::model::{GetPromptRequestParams, JsonObject, ReadResourceRequestParams};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;
use tokio::process::Command;

use crate::harness::{PluginDir, Served, math_still_works, moat_command};

/// The value the host environment holds for `API_KEY`.
pub const ENV_VALUE: &str = "sk-live-7f3a9c2eQx81-env-secret";
/// The value the store's file holds for `DB_PASSWORD` (with a newline).
pub const FILE_VALUE: &str = "db-pw-Zq5T0042-file-secret";
/// The host variable the store reads `API_KEY` from.
pub const HOST_VAR: &str = "MOAT_TEST_GRANTED_API_KEY";

/// The fixture's manifest: both secrets, one as a variable, one as a file.
pub const MANIFEST: &str = "[capabilities.secrets]\nAPI_KEY = { env = \"WEATHER_API_KEY\" }\nDB_PASSWORD = { file = \"/run/secrets/db\" }\n";

/// A plugin directory and a store beside it.
pub struct Setup {
    pub plugins: PluginDir,
    pub store: PathBuf,
    _dir: TempDir,
}

/// `granted.wasm` with `manifest`, `math.wasm`, and a store of `store`
/// (whose relative files are beside it; `db_password` holds [`FILE_VALUE`]).
pub fn setup(manifest: &str, store: &str) -> Setup {
    let plugins = PluginDir::with_math().copy(moat_test_artifacts::GRANTED, "granted.wasm");
    let plugins = match manifest {
        "" => plugins,
        text => plugins.write("granted.toml", text.as_bytes()),
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db_password"), format!("{FILE_VALUE}\n")).unwrap();
    let path = dir.path().join("secrets.toml");
    std::fs::write(&path, store).unwrap();
    Setup {
        plugins,
        store: path,
        _dir: dir,
    }
}

/// The store both secrets come from.
pub fn store() -> String {
    format!("API_KEY = {{ env = \"{HOST_VAR}\" }}\nDB_PASSWORD = {{ file = \"db_password\" }}\n")
}

/// `moat serve` of `setup` with its store and the host variable set.
pub fn serve(setup: &Setup) -> Command {
    let mut command = moat_command();
    command
        .arg("serve")
        .arg("--plugins")
        .arg(setup.plugins.path())
        .arg("--secrets")
        .arg(&setup.store)
        .env(HOST_VAR, ENV_VALUE);
    command
}

/// Every form of both values a leak could take.
pub fn forms() -> Vec<String> {
    let mut forms = Vec::new();
    for value in [ENV_VALUE, FILE_VALUE] {
        forms.push(value.to_owned());
        forms.push(base64::engine::general_purpose::STANDARD.encode(value));
        forms.push(hex(value.as_bytes()));
    }
    forms
}

/// `what` holds no form of either value.
pub fn clean(what: &str, text: &str) {
    for form in forms() {
        assert!(!text.contains(&form), "{what} shows `{form}`: {text}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_of(value: &str) -> String {
    format!(
        "sha256:{}, {} bytes",
        hex(&Sha256::digest(value.as_bytes())),
        value.len()
    )
}

/// The text of every content item of `tool`'s answer, with its JSON.
async fn answer(served: &Served, tool: &str, arguments: Value) -> (Option<bool>, String) {
    let result = served.call(tool, arguments).await;
    (result.is_error, serde_json::to_string(&result).unwrap())
}

const ENV: fn() -> Value = || json!({"env": "WEATHER_API_KEY"});
const FILE: fn() -> Value = || json!({"file": "/run/secrets/db"});

#[tokio::test]
async fn a_granted_secret_reaches_the_plugin_as_granted_and_nowhere_else() {
    let setup = setup(MANIFEST, &store());
    let served = Served::start_command(serve(&setup)).await;
    let (_, env) = answer(&served, "digest", ENV()).await;
    assert!(env.contains(&digest_of(ENV_VALUE)), "{env}");
    // The file's trailing newline is dropped.
    let (_, file) = answer(&served, "digest", FILE()).await;
    assert!(file.contains(&digest_of(FILE_VALUE)), "{file}");
    // Nothing else of the host: not its variable, not the store's file,
    // not another path.
    for arguments in [
        json!({"env": HOST_VAR}),
        json!({"env": "API_KEY"}),
        json!({"file": "/run/secrets/other"}),
        json!({"file": "/run/secrets/../secrets/db_password"}),
        json!({"file": setup.store.with_file_name("db_password")}),
    ] {
        let (_, text) = answer(&served, "digest", arguments.clone()).await;
        assert!(text.contains("absent"), "{arguments}: {text}");
    }
    math_still_works(&served).await;
    let log = served.stop().await;
    clean("moat's log", &log);
}

#[tokio::test]
async fn an_ungranted_plugin_cannot_read_it() {
    let setup = setup(MANIFEST, &store());
    let other = setup.plugins.path().join("other.wasm");
    std::fs::copy(moat_test_artifacts::GRANTED, &other).unwrap();
    // `other` has no manifest: its tools collide with granted's, so give it
    // a prefix and nothing else.
    std::fs::write(other.with_extension("toml"), "[tools]\nprefix = \"o\"\n").unwrap();
    let served = Served::start_command(serve(&setup)).await;
    for arguments in [ENV(), FILE(), json!({"env": HOST_VAR})] {
        let (_, text) = answer(&served, "o_digest", arguments.clone()).await;
        assert!(text.contains("absent"), "{arguments}: {text}");
    }
    let (_, text) = answer(&served, "digest", ENV()).await;
    assert!(text.contains(&digest_of(ENV_VALUE)), "{text}");
    served.stop().await;
}

#[tokio::test]
async fn an_echoed_secret_is_redacted_from_every_answer_and_error() {
    let setup = setup(MANIFEST, &store());
    let served = Served::start_command(serve(&setup)).await;
    let (error, echo) = answer(&served, "echo", ENV()).await;
    assert_ne!(error, Some(true), "{echo}");
    clean("the echo", &echo);
    // In the text, the embedded resource, structured content's value and key.
    assert_eq!(
        echo.matches("[REDACTED:secret:API_KEY]").count(),
        4,
        "{echo}"
    );
    let (_, echo) = answer(&served, "echo", FILE()).await;
    clean("the echo of the file", &echo);
    assert!(echo.contains("[REDACTED:secret:DB_PASSWORD]"), "{echo}");
    let (_, encoded) = answer(&served, "encoded", ENV()).await;
    clean("the encoded echo", &encoded);
    assert_eq!(
        encoded.matches("[REDACTED:secret:API_KEY]").count(),
        2,
        "{encoded}"
    );
    for tool in ["fail", "crash"] {
        let (error, text) = answer(&served, tool, FILE()).await;
        assert_eq!(error, Some(true), "{tool}: {text}");
        clean(tool, &text);
        assert!(
            text.contains("[REDACTED:secret:DB_PASSWORD]"),
            "{tool}: {text}"
        );
    }
    let read = served
        .client
        .read_resource(ReadResourceRequestParams::new(
            "granted://env/WEATHER_API_KEY",
        ))
        .await
        .unwrap();
    let read = serde_json::to_string(&read).unwrap();
    clean("the resource", &read);
    assert!(read.contains("[REDACTED:secret:API_KEY]"), "{read}");
    let arguments: JsonObject = serde_json::from_value(json!({"name": "WEATHER_API_KEY"})).unwrap();
    let prompt = served
        .client
        .get_prompt(GetPromptRequestParams::new("reveal").with_arguments(arguments))
        .await
        .unwrap();
    let prompt = serde_json::to_string(&prompt).unwrap();
    clean("the prompt", &prompt);
    assert!(prompt.contains("[REDACTED:secret:API_KEY]"), "{prompt}");
    let completion = served
        .client
        .complete_prompt_argument("reveal", "name", "WEATHER_API_KEY", None)
        .await
        .unwrap();
    assert_eq!(completion.values, ["[REDACTED:secret:API_KEY]"]);
    // Printed to stderr and stdout, and logged: redacted in moat's log.
    let (_, printed) = answer(&served, "shout", ENV()).await;
    assert!(printed.contains("printed"), "{printed}");
    math_still_works(&served).await;
    let log = served.stop().await;
    clean("moat's log", &log);
    for line in [
        "granted: the secret is [REDACTED:secret:API_KEY]",
        "granted: stdout has [REDACTED:secret:API_KEY]",
        "granted: logged [REDACTED:secret:API_KEY]",
    ] {
        assert!(log.contains(line), "the log lacks `{line}`: {log}");
    }
    assert!(
        log.contains("carried secrets the plugin is granted: redacted"),
        "{log}"
    );
}

#[tokio::test]
async fn at_trace_level_neither_the_log_nor_the_audit_log_shows_a_value() {
    let setup = setup(MANIFEST, &store());
    let audit = setup.store.with_file_name("audit.jsonl");
    let mut command = serve(&setup);
    command
        .arg("--audit")
        .arg(&audit)
        .arg("--audit-arguments")
        .env("RUST_LOG", "trace");
    let served = Served::start_command(command).await;
    for tool in ["digest", "echo", "encoded", "fail", "shout"] {
        answer(&served, tool, ENV()).await;
        answer(&served, tool, FILE()).await;
    }
    // A client that names the value itself (in arguments, in a URI).
    answer(&served, "digest", json!({"env": ENV_VALUE})).await;
    let uri = format!("granted://env/{FILE_VALUE}");
    let _ = served
        .client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await;
    let log = served.stop().await;
    assert!(log.contains("TRACE"), "not at trace level: {log}");
    clean("moat's log at trace", &log);
    let records = wait_for_records(&audit, 11);
    clean("the audit log", &records);
    assert!(records.contains("[REDACTED:secret:API_KEY]"), "{records}");
}

/// The audit log at `path` once it holds `n` request records.
fn wait_for_records(path: &Path, n: usize) -> String {
    for _ in 0..200 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let requests = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|record| record["kind"] == "request")
            .count();
        if requests >= n {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "the audit log never held {n} requests: {}",
        std::fs::read_to_string(path).unwrap_or_default()
    );
}
