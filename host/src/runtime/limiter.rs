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
    memory_limit: usize,
    memory: usize,
    table_limit: usize,
    tables: usize,
    /// The last growth approved, undone if wasmtime then fails it.
    last_memory: usize,
    last_table: usize,
}

impl Limiter {
    /// At most `memory` bytes of linear memory and `table_elements` table
    /// elements, each summed over the store.
    pub fn new(memory: usize, table_elements: usize) -> Self {
        Self {
            memory_limit: memory,
            memory: 0,
            table_limit: table_elements,
            tables: 0,
            last_memory: 0,
            last_table: 0,
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
        let growth = desired.saturating_sub(current);
        let total = self.memory.saturating_add(growth);
        if total > self.memory_limit {
            return Err(wasmtime::Error::new(Exceeded::Memory(self.memory_limit)));
        }
        self.memory = total;
        self.last_memory = growth;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.memory -= self.last_memory;
        Err(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.tables.saturating_add(growth);
        if total > self.table_limit {
            return Err(wasmtime::Error::new(Exceeded::TableElements(
                self.table_limit,
            )));
        }
        self.tables = total;
        self.last_table = growth;
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.tables -= self.last_table;
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
