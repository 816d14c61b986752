//! `--watch` for the policy file: reread when it changes, keep the
//! previous policy when the new one is refused; and the periodic sweep of
//! idle rate-limit keys.

use std::future::Future;
use std::path::Path;

use notify::RecursiveMode;
use tokio::task::JoinHandle;

use super::rate::SWEEP;
use super::{Access, read};
use crate::plugins::watcher::Changes;

/// The background tasks of [`Access`]; they stop when this is dropped.
#[derive(Default)]
pub struct Reloads(Vec<JoinHandle<()>>);

impl Drop for Reloads {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl Access {
    /// Starts the sweep of idle rate-limit keys and, with `watch`, the
    /// policy file's reload, calling `changed` after each new policy is in
    /// force (to tell clients their lists may have changed).
    pub fn start<F, Fut>(&self, watch: bool, changed: F) -> anyhow::Result<Reloads>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let mut tasks = Vec::new();
        if let Some(limits) = self.limits.clone() {
            tasks.push(tokio::spawn(async move {
                let mut every = tokio::time::interval(SWEEP);
                loop {
                    every.tick().await;
                    limits.sweep();
                }
            }));
        }
        if let (true, Some(loaded)) = (watch, self.policy.clone()) {
            // The directory, not the file: editors and `mv` replace it.
            let dir = loaded.path.parent().unwrap_or(Path::new("/")).to_owned();
            let mut changes = Changes::watch(&[(&dir, RecursiveMode::NonRecursive)])?;
            tracing::info!(
                "watching the policy file {} for changes",
                loaded.path.display()
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let paths = changes.settled().await;
                    if !paths
                        .iter()
                        .any(|p| p.file_name() == loaded.path.file_name())
                    {
                        continue;
                    }
                    match read(&loaded.path) {
                        Ok(policy) => {
                            loaded.current.store(policy.into());
                            tracing::info!("reloaded the policy file {}", loaded.path.display());
                            changed().await;
                        }
                        Err(error) => {
                            tracing::error!("{error:#}\nthe previous policy stays in force")
                        }
                    }
                }
            }));
        }
        Ok(Reloads(tasks))
    }
}
