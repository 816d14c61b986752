//! Which plain functions a component exports: each becomes a tool.
//!
//! Functions exported at the component's top level, and those of every
//! exported interface, are tools, except:
//!
//! - `wasi:*` interfaces (a component that serves `wasi:cli/run` or
//!   `wasi:http/incoming-handler` is a program, not a set of tools);
//! - the toolchains' own exports: `init`, `_initialize`, `_start`,
//!   `wizer.initialize`, `wizer-initialize`, any name starting `cabi_`, and
//!   any holding `#` or `$` (componentize-py's and jco's internals).
//!
//! A function whose types have no JSON form (a resource, `future`,
//! `stream`, ...), a resource's constructor, method or static function, and
//! an `async` function are refused, and with them the component: a load
//! error names each, rather than serving part of an interface silently.

use moat_wit_json::{Function, Param, Type};
use wasmtime::Engine;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::{Component, ComponentExportIndex, ResourceType};

use super::types::{Converter, MAX_TOTAL_TYPE_NODES};

/// One exported function, ready to serve.
#[derive(Debug, Clone)]
pub struct TypedFunc {
    /// The exported interface it is in, e.g. `example:typed/kinds@0.1.0`;
    /// `None` at top level.
    pub interface: Option<String>,
    /// Its name, parameters and result (docs are added later, see `docs.rs`).
    pub function: Function,
    /// Where it is, found once at load so that a call looks it up by index.
    pub index: ComponentExportIndex,
}

/// Why a component's functions cannot be served.
#[derive(Debug)]
pub enum Refusal {
    /// It exports more functions than the plugin may serve tools (its
    /// `max_tools`), counted before any type is converted.
    TooMany(usize),
    /// These functions (each named, with why), joined with `; `.
    Functions(String),
}

/// The plain functions `component` exports, in export order, at most
/// `max` of them; an error names every function that cannot be served.
pub fn discover(
    component: &Component,
    engine: &Engine,
    max: usize,
) -> Result<Vec<TypedFunc>, Refusal> {
    let ty = component.component_type();
    let count = count(component, engine);
    if count > max {
        return Err(Refusal::TooMany(count));
    }
    let mut found = Vec::new();
    let mut refused = Vec::new();
    let mut nodes = 0;
    let top_resources: Vec<(String, ResourceType)> = ty
        .exports(engine)
        .filter_map(|(name, item)| match item.ty {
            ComponentItem::Resource(resource) => Some((name.to_owned(), resource)),
            _ => None,
        })
        .collect();
    for (name, item) in ty.exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(func) if !toolchain_export(name) => {
                let index = component.get_export_index(None, name);
                match (index, function(name, &func, &top_resources, &mut nodes)) {
                    (Some(index), Ok(function)) => found.push(TypedFunc {
                        interface: None,
                        function,
                        index,
                    }),
                    (_, Err(problem)) => refused.push(problem),
                    (None, Ok(_)) => {}
                }
            }
            ComponentItem::ComponentInstance(instance) if !name.starts_with("wasi:") => {
                let Some(instance_index) = component.get_export_index(None, name) else {
                    continue;
                };
                let resources: Vec<(String, ResourceType)> = instance
                    .exports(engine)
                    .filter_map(|(name, item)| match item.ty {
                        ComponentItem::Resource(resource) => Some((name.to_owned(), resource)),
                        _ => None,
                    })
                    .collect();
                for (func_name, item) in instance.exports(engine) {
                    let ComponentItem::ComponentFunc(func) = item.ty else {
                        continue;
                    };
                    if toolchain_export(func_name) {
                        continue;
                    }
                    let index = component.get_export_index(Some(&instance_index), func_name);
                    match (index, function(func_name, &func, &resources, &mut nodes)) {
                        (Some(index), Ok(function)) => found.push(TypedFunc {
                            interface: Some(name.to_owned()),
                            function,
                            index,
                        }),
                        (_, Err(problem)) => refused.push(format!("{problem} (in `{name}`)")),
                        (None, Ok(_)) => {}
                    }
                }
            }
            _ => {}
        }
    }
    if !refused.is_empty() {
        return Err(Refusal::Functions(refused.join("; ")));
    }
    Ok(found)
}

/// How many functions `component` exports that would be tools or refused:
/// every function at top level and in non-`wasi:` interfaces, less the
/// toolchains' own.
fn count(component: &Component, engine: &Engine) -> usize {
    let funcs = |item: &ComponentItem, name: &str| {
        matches!(item, ComponentItem::ComponentFunc(_)) && !toolchain_export(name)
    };
    component
        .component_type()
        .exports(engine)
        .map(|(name, item)| match &item.ty {
            ComponentItem::ComponentInstance(instance) if !name.starts_with("wasi:") => instance
                .exports(engine)
                .filter(|(name, item)| funcs(&item.ty, name))
                .count(),
            ty => usize::from(funcs(ty, name)),
        })
        .sum()
}

/// Exports the toolchains add, which are not the author's functions.
pub fn toolchain_export(name: &str) -> bool {
    matches!(
        name,
        "init" | "_initialize" | "_start" | "wizer.initialize" | "wizer-initialize"
    ) || name.starts_with("cabi_")
        || name.contains('#')
        || name.contains('$')
}

/// `func`, named `name`, as a [`Function`], or why it cannot be a tool.
/// `nodes` counts the type nodes of every function so far, against
/// [`MAX_TOTAL_TYPE_NODES`].
fn function(
    name: &str,
    func: &ComponentFunc,
    resources: &[(String, ResourceType)],
    nodes: &mut usize,
) -> Result<Function, String> {
    if let Some(rest) = name.strip_prefix('[') {
        let kind = rest.split(']').next().unwrap_or_default();
        return Err(match kind {
            "constructor" | "method" | "static" => format!(
                "`{name}` is a {kind} of a resource: resources cannot cross as JSON, so their functions are not tools"
            ),
            _ => format!("`{name}` is an `{kind}` function, which moat does not serve"),
        });
    }
    if func.async_() {
        return Err(format!(
            "`{name}` is an `async` function, which moat does not serve"
        ));
    }
    let mut converter = Converter::new(resources);
    let mut params = Vec::with_capacity(func.params().len());
    for (param, ty) in func.params() {
        let ty = converter.convert(&ty).map_err(|refused| {
            format!(
                "`{name}` takes {} (parameter `{param}`): {}",
                refused.what, refused.why
            )
        })?;
        params.push(Param {
            name: param.to_owned(),
            ty,
            docs: None,
        });
    }
    let mut results = func.results();
    if results.len() > 1 {
        return Err(format!(
            "`{name}` returns {} values; a tool returns one",
            results.len()
        ));
    }
    let result: Option<Type> = results
        .next()
        .map(|ty| converter.convert(&ty))
        .transpose()
        .map_err(|refused| format!("`{name}` returns {}: {}", refused.what, refused.why))?;
    *nodes += converter.nodes();
    if *nodes > MAX_TOTAL_TYPE_NODES {
        return Err(format!(
            "`{name}`: the functions' types hold more than {MAX_TOTAL_TYPE_NODES} parts together, the host's fixed limit per component"
        ));
    }
    Ok(Function {
        name: name.to_owned(),
        docs: None,
        params,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchain_exports_are_not_tools() {
        for name in [
            "init",
            "wizer.initialize",
            "wizer-initialize",
            "cabi_realloc",
            "componentize-py#CallIndirect",
            "a$b",
        ] {
            assert!(toolchain_export(name), "{name}");
        }
        for name in ["mul", "to-upper", "initialize", "add"] {
            assert!(!toolchain_export(name), "{name}");
        }
    }
}
