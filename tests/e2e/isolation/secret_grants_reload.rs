//! Under `--watch`, a plugin that reloads reads its secrets again: a value
//! changed at its source reaches the plugin, and the new value is the one
//! redacted.

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::isolation::secret_grants::{clean, setup};
use crate::lifecycle::watched::{Watched, serve};

#[tokio::test]
async fn a_reload_reads_the_secret_again() {
    let manifest = "[capabilities.secrets]\nDB_PASSWORD = { file = \"/run/secrets/db\" }\n";
    let setup = setup(manifest, "DB_PASSWORD = { file = \"db_password\" }\n");
    let store = setup.store.to_str().unwrap().to_owned();
    let (served, mut log) =
        Watched::run_logged(serve(&setup.plugins, &["--secrets", &store])).await;
    let file = json!({"file": "/run/secrets/db"});
    let digest = |value: &str| {
        let hash: String = Sha256::digest(value.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hash}")
    };
    let before = served.call("digest", file.clone()).await;
    let before = serde_json::to_string(&before).unwrap();
    assert!(
        before.contains(&digest(crate::isolation::secret_grants::FILE_VALUE)),
        "{before}"
    );
    log.skip();
    let rotated = "rotated-Kp9w22-file-secret";
    std::fs::write(setup.store.with_file_name("db_password"), rotated).unwrap();
    let manifest_file = setup.plugins.path().join("granted.toml");
    std::fs::write(&manifest_file, format!("{manifest}# rotated\n")).unwrap();
    log.wait_for("reloaded").await;
    // The line is logged just before the new version is swapped in: ask
    // until it answers (a safety net of 30 s, not a speed check).
    let mut after = String::new();
    for _ in 0..300 {
        after = serde_json::to_string(&served.call("digest", file.clone()).await).unwrap();
        if after.contains(&digest(rotated)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(after.contains(&digest(rotated)), "{after}");
    let echo = served.call("echo", file).await;
    let echo = serde_json::to_string(&echo).unwrap();
    assert!(
        !echo.contains(rotated) && echo.contains("[REDACTED:secret:DB_PASSWORD]"),
        "{echo}"
    );
    clean("the echo", &echo);
    served.client.cancel().await.unwrap();
}
