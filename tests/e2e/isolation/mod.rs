//! The sandbox: what a plugin may reach, its limits, the host's own bounds, secrets.

pub mod host_limits;
pub mod instance_pool;
pub mod sandbox;
pub mod secret_grants;
pub mod secret_grants_refused;
pub mod secret_grants_reload;
pub mod secrets;
