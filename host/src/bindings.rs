//! Host-side bindings for the `moat:plugin` WIT contract in `wit/`.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    imports: { default: trappable },
    exports: { default: async },
});
