//! Logging through the host.

use crate::Level;

/// Writes `message` to the host's log at `level`; the host tags it with the
/// plugin's name.
///
/// Outside a component (a plugin's native unit tests) there is no host, so
/// the message goes to standard error instead.
///
/// ```
/// use moat_plugin_sdk::{Level, log};
///
/// log(Level::Info, "dividing");
/// ```
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::moat::plugin::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}
