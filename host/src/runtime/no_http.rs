//! The linker of a plugin without a network grant: `wasi:http` is not
//! there for it. Every function of every `wasi:http/*` interface the
//! component imports is defined to stop the call with "HTTP is not
//! granted" (its resources become opaque types nothing can create), so the
//! component still links (a Rust std component may import `wasi:http`
//! without using it) but cannot make the host hold a single header.

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceType};

use super::error::Exceeded;
use super::state::CallState;

/// The type every denied `wasi:http` resource has: nothing makes one.
struct NotGranted;

/// `denied` (the linker without `wasi:http`) if `component` imports none of
/// it, else a copy with its `wasi:http` imports defined to fail. Runs once
/// per plugin, at load.
pub fn linker_for(
    engine: &Engine,
    denied: &Linker<CallState>,
    component: &Component,
) -> wasmtime::Result<Option<Linker<CallState>>> {
    let ty = component.component_type();
    let mut http = ty
        .imports(engine)
        .filter(|(name, _)| name.starts_with("wasi:http/"))
        .peekable();
    if http.peek().is_none() {
        return Ok(None);
    }
    let mut linker = denied.clone();
    for (name, item) in http {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        let mut defined = linker.instance(name)?;
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    let called = format!("{name}#{export}");
                    defined.func_new(export, move |_, _, _, _| {
                        Err(wasmtime::Error::new(Exceeded::HttpNotGranted(
                            called.clone(),
                        )))
                    })?;
                }
                ComponentItem::Resource(_) => {
                    defined.resource(export, ResourceType::host::<NotGranted>(), |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    Ok(Some(linker))
}
