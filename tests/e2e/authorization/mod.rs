//! Who may call what: the policy over stdio and HTTP.

pub mod access;
pub mod access_http;
