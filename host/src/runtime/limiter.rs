//! The memory and table limits of one call, summed over the instance's
//! memories and tables.
//!
//! wasmtime's `StoreLimits` checks each memory against the limit on its
//! own, so a component with two memories could hold twice its limit. This
//! limiter counts every memory and table the store creates or grows (their
//! initial size at instantiation included) against one total each. The
//! cost is an addition and a comparison per `memory.grow`/`table.grow`.

use wasmtime::ResourceLimiter;

use super::error::Exceeded;

/// The running totals of one store, against the plugin's limits.
pub struct Limiter {
    memory: Total,
    tables: Total,
}

/// One running total: bytes of memory, or table elements.
struct Total {
    limit: usize,
    used: usize,
    /// The last growth approved, undone if wasmtime then fails it.
    last: usize,
}

impl Total {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            used: 0,
            last: 0,
        }
    }

    /// Whether growing one memory or table from `current` to `desired`
    /// keeps the total within the limit; if so, counts it.
    fn grow(&mut self, current: usize, desired: usize) -> bool {
        let growth = desired.saturating_sub(current);
        let total = self.used.saturating_add(growth);
        if total > self.limit {
            return false;
        }
        self.used = total;
        self.last = growth;
        true
    }

    /// Takes back the last growth, which wasmtime failed after all.
    fn undo(&mut self) {
        self.used -= self.last;
    }
}

impl Limiter {
    /// At most `memory` bytes of linear memory and `table_elements` table
    /// elements, each summed over the store.
    pub fn new(memory: usize, table_elements: usize) -> Self {
        Self {
            memory: Total::new(memory),
            tables: Total::new(table_elements),
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if !self.memory.grow(current, desired) {
            return Err(wasmtime::Error::new(Exceeded::Memory(self.memory.limit)));
        }
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory.undo();
        Err(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if !self.tables.grow(current, desired) {
            let limit = self.tables.limit;
            return Err(wasmtime::Error::new(Exceeded::TableElements(limit)));
        }
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables.undo();
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_are_summed() {
        let mut limiter = Limiter::new(32 << 20, 10);
        assert!(limiter.memory_growing(0, 24 << 20, None).unwrap());
        let error = limiter.memory_growing(0, 24 << 20, None).unwrap_err();
        assert!(matches!(
            error.downcast_ref::<Exceeded>(),
            Some(Exceeded::Memory(_))
        ));
        assert!(limiter.memory_growing(0, 8 << 20, None).unwrap());
    }

    #[test]
    fn tables_are_summed() {
        let mut limiter = Limiter::new(1 << 20, 10);
        assert!(limiter.table_growing(0, 6, None).unwrap());
        assert!(limiter.table_growing(0, 5, None).is_err());
        assert!(limiter.table_growing(6, 10, None).unwrap());
    }
}
