//! moat: an MCP host that runs every tool as a sandboxed WebAssembly component.
//!
//! The library holds the pieces; the `moat` binary parses its command line
//! and wires them together. One request travels down the folders in this
//! order:
//!
//! | folder | what lives there |
//! | --- | --- |
//! | [`transport`] | stdio and Streamable HTTP: bytes to JSON-RPC messages and back |
//! | [`auth`] | who a request acts for: the identity each transport establishes |
//! | [`access`] | what that identity may use (`--policy`, Cedar) and how often (the rate limits) |
//! | [`protocol`] | the MCP server rmcp calls: one method per request kind |
//! | [`plugins`] | the live registry (which plugin serves which tool), loading, reloading, the lock |
//! | [`lint`] | the definition lint: what each plugin's definitions tell a model, checked at load |
//! | [`typed`] | plain typed components: exported functions as tools, JSON checked against their types |
//! | [`runtime`] | the engine, and one request run in a fresh instance of a plugin |
//! | [`sandbox`] | what a plugin may reach: its manifest, grants and limits |
//!
//! Beside them, [`clients`] is what the host knows of the clients it serves
//! (the link one run answers to, subscriptions), [`observe`] is where every
//! request that reaches a plugin and every load is reported (to the audit
//! log, the metrics, the traces), [`metrics`] holds the Prometheus metrics
//! (sitting between [`protocol`] and [`plugins`]), and [`cli`] holds the
//! commands beyond serving (`moat check`, `moat dev`, `moat pull`, whose
//! work, plugins fetched from registries and URLs, verified and placed
//! atomically, is in [`pull`]).

pub mod access;
pub mod auth;
pub mod cli;
pub mod clients;
pub mod lint;
pub mod metrics;
pub mod observe;
pub mod plugins;
pub mod protocol;
pub mod pull;
pub mod runtime;
pub mod sandbox;
pub mod transport;
pub mod typed;
