//! Open files: at most `limits.max_open_files` per call, and a process-wide
//! budget so that every plugin's calls together leave the host the
//! descriptors it needs for itself.
//!
//! wasmtime-wasi opens a file or a directory only in
//! `wasi:filesystem/types.[method]descriptor.open-at`; the linker's
//! definition of it is replaced by [`add_to_linker`], which counts each
//! descriptor the call holds before it opens another. A call that closed
//! its files gets their places back: the count is taken again (from the
//! call's resource table) whenever it reaches a limit. The process-wide
//! count is released when the call's store is dropped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::filesystem::WasiFilesystemView as _;
use wasmtime_wasi::p2::bindings::filesystem::types::{
    Descriptor, DescriptorFlags, Host as _, HostDescriptor as _, OpenFlags, PathFlags,
};

use super::error::Exceeded;
use super::state::CallState;
use crate::sandbox::limits::HOST_RESERVED_FILES;

/// The WASI interface whose `open-at` is counted (the version wasmtime-wasi
/// links; older `0.2.x` imports resolve to it).
const FILESYSTEM: &str = "wasi:filesystem/types@0.2.12";

/// Files all calls of all plugins hold open, and the most they may.
static OPEN: AtomicUsize = AtomicUsize::new(0);
static BUDGET: OnceLock<usize> = OnceLock::new();

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (once per process),
/// logs it, and sets the plugins' budget: the limit less what the host keeps
/// for itself (a quarter, at least [`HOST_RESERVED_FILES`]).
pub fn init_budget() -> usize {
    *BUDGET.get_or_init(|| {
        let limit = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => limit,
            Err(error) => {
                let limit = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
                tracing::warn!("cannot raise the open-file limit ({error}); it stays at {limit}");
                limit
            }
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let reserved = (limit / 4).max(HOST_RESERVED_FILES);
        let budget = limit.saturating_sub(reserved);
        tracing::info!(
            "open-file limit {limit}: {reserved} kept for the host, {budget} for all plugins' calls together"
        );
        budget
    })
}

/// The files one call holds open, against its limit and the process budget.
pub struct OpenFiles {
    limit: usize,
    /// The table indices of the descriptors this call opened (some may
    /// since have been closed: see [`Self::recount`]).
    held: Vec<u32>,
}

impl OpenFiles {
    /// None open yet; at most `limit` at once.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            held: Vec::new(),
        }
    }

    /// Takes a place for one more open file, or says which limit is in
    /// the way. The place is given back when dropped, unless
    /// [`Self::opened`] keeps it (so a call stopped mid-open leaks none).
    fn admit(&mut self, table: &ResourceTable) -> Result<Place, Exceeded> {
        if self.held.len() >= self.limit {
            self.recount(table);
            if self.held.len() >= self.limit {
                return Err(Exceeded::OpenFiles(self.limit));
            }
        }
        let budget = BUDGET.get().copied().unwrap_or_else(init_budget);
        if OPEN.fetch_add(1, Ordering::AcqRel) >= budget {
            OPEN.fetch_sub(1, Ordering::AcqRel);
            self.recount(table);
            if OPEN.fetch_add(1, Ordering::AcqRel) >= budget {
                OPEN.fetch_sub(1, Ordering::AcqRel);
                return Err(Exceeded::HostFiles(budget));
            }
        }
        Ok(Place)
    }

    /// Records the descriptor opened in `place`; the call holds it until
    /// the descriptor is closed (and recounted) or the call ends.
    fn opened(&mut self, place: Place, descriptor: &Resource<Descriptor>) {
        std::mem::forget(place);
        self.held.push(descriptor.rep());
    }

    /// Forgets the descriptors the call has closed. A slot that now holds
    /// another descriptor stays counted once, which errs on the safe side.
    fn recount(&mut self, table: &ResourceTable) {
        let before = self.held.len();
        self.held.sort_unstable();
        self.held.dedup();
        self.held
            .retain(|&rep| table.get(&Resource::<Descriptor>::new_borrow(rep)).is_ok());
        OPEN.fetch_sub(before - self.held.len(), Ordering::AcqRel);
    }
}

/// One place in the process-wide count, taken before an open.
struct Place;

impl Drop for Place {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for OpenFiles {
    fn drop(&mut self) {
        OPEN.fetch_sub(self.held.len(), Ordering::AcqRel);
    }
}

type OpenAtParams = (
    Resource<Descriptor>,
    PathFlags,
    String,
    OpenFlags,
    DescriptorFlags,
);

/// Replaces `open-at` in `linker` with one that counts what it opens.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let defined = linker.instance(FILESYSTEM)?.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store: StoreContextMut<'_, CallState>,
         (dir, path_flags, path, oflags, flags): OpenAtParams| {
            Box::new(async move {
                let state = store.data_mut();
                let (files, table) = state.open_files();
                let place = files.admit(table).map_err(wasmtime::Error::new)?;
                let mut view = state.filesystem();
                let opened = view.open_at(dir, path_flags, path, oflags, flags).await;
                let state = store.data_mut();
                Ok((match opened {
                    Ok(descriptor) => {
                        state.open_files().0.opened(place, &descriptor);
                        Ok(descriptor)
                    }
                    Err(error) => {
                        drop(place);
                        Err(state.filesystem().convert_error_code(error)?)
                    }
                },))
            })
        },
    );
    linker.allow_shadowing(false);
    defined
}
