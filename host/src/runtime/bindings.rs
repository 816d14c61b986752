//! Host-side bindings for the `moat:plugin` WIT contract in `wit/`.
//!
//! They are generated for the `server` world, the largest; a component of
//! the `plugin` world (tools only) imports and exports a subset of it, and
//! [`crate::exports`] finds out which exports each component has.

wasmtime::component::bindgen!({
    world: "server",
    path: "../wit",
    imports: {
        // Both reach the client, which may take its time to answer.
        "moat:plugin/client": async | trappable,
        "moat:plugin/host": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});
