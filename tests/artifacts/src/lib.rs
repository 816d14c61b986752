//! Paths to the sample plugins, built for wasm32-wasip2 by this crate's
//! build script, for the end-to-end tests.

include!(concat!(env!("OUT_DIR"), "/plugins.rs"));
