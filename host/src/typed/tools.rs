//! Tool definitions derived from a component's exported functions: names,
//! descriptions, input and output schemas.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use moat_wit_json::names::{Export, tool_names};
use moat_wit_json::{Function, Type, schema};

use super::docs::PackageDocs;
use super::exports::TypedFunc;
use crate::runtime::bindings::moat::plugin::types;

/// Where a tool's description came from, for `moat check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptionSource {
    /// The manifest's `[tools.descriptions]`.
    Manifest,
    /// The WIT doc comment, from the component's `package-docs` section.
    PackageDocs,
    /// Neither: the function's signature (a warning at load).
    Fallback,
}

impl std::fmt::Display for DescriptionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Manifest => "the manifest's [tools.descriptions]",
            Self::PackageDocs => "the WIT doc comments (package-docs)",
            Self::Fallback => "none found: the signature stands in",
        })
    }
}

/// One exported function, served as a tool.
#[derive(Debug, Clone)]
pub struct TypedTool {
    /// The tool's name before the manifest's prefix.
    pub own_name: String,
    /// The function, its types and export index.
    pub func: TypedFunc,
    /// Where its description came from.
    pub source: DescriptionSource,
}

/// Every function's tool, its definition in the contract's form (so that
/// the listing limits, name rules and lock treat it as any plugin's), and
/// the warnings to log.
pub struct Derived {
    /// The tools, in export order.
    pub tools: Vec<TypedTool>,
    /// Their definitions, in the same order.
    pub definitions: Vec<types::Tool>,
    /// One line per tool without a description.
    pub warnings: Vec<String>,
}

/// Derives the tools of `funcs`, exported by the plugin `plugin`, with
/// `docs` (the component's `package-docs`, if any) and the manifest's
/// `descriptions` (by tool name).
pub fn derive(
    mut funcs: Vec<TypedFunc>,
    docs: Option<&PackageDocs>,
    plugin: &str,
    descriptions: &BTreeMap<String, String>,
) -> Derived {
    let exports: Vec<Export<'_>> = funcs
        .iter()
        .map(|f| Export {
            interface: f.interface.as_deref(),
            function: &f.function.name,
        })
        .collect();
    let names = tool_names(&exports);
    drop(exports);
    let mut derived = Derived {
        tools: Vec::with_capacity(funcs.len()),
        definitions: Vec::with_capacity(funcs.len()),
        warnings: Vec::new(),
    };
    for (mut func, name) in funcs.drain(..).zip(names) {
        let interface = func.interface.clone();
        let function = &mut func.function;
        let found = docs.and_then(|docs| {
            for param in &mut function.params {
                docs.annotate(interface.as_deref(), &mut param.ty);
            }
            if let Some(ty) = &mut function.result {
                docs.annotate(interface.as_deref(), ty);
            }
            docs.function(interface.as_deref(), &function.name)
        });
        function.docs = found.clone();
        let (description, source) = match (descriptions.get(&name), found) {
            (Some(given), _) => (given.clone(), DescriptionSource::Manifest),
            (None, Some(found)) => (found, DescriptionSource::PackageDocs),
            (None, None) => {
                derived.warnings.push(format!(
                    "tool `{name}` has no description: add a WIT doc comment and run `moat embed-docs --wit WIT_DIR COMPONENT.wasm`, or give one in the manifest's [tools.descriptions]"
                ));
                (fallback(function, plugin), DescriptionSource::Fallback)
            }
        };
        let input = schema::input(&function.params);
        let output = schema::output(function.result.as_ref());
        derived.definitions.push(types::Tool {
            name: name.clone(),
            title: None,
            description,
            input_schema: serde_json::Value::Object(input).to_string(),
            output_schema: output.map(|o| serde_json::Value::Object(o).to_string()),
            annotations: None,
        });
        derived.tools.push(TypedTool {
            own_name: name,
            func,
            source,
        });
    }
    derived
}

/// The longest fallback description; a longer signature is cut.
const MAX_FALLBACK: usize = 300;

/// "`mul(x: f64, y: f64) -> f64`, from the plugin `calc`".
pub fn fallback(function: &Function, plugin: &str) -> String {
    let mut signature = format!("{}(", function.name);
    for (i, param) in function.params.iter().enumerate() {
        if i > 0 {
            signature.push_str(", ");
        }
        let _ = write!(signature, "{}: ", param.name);
        wit(&param.ty, &mut signature);
    }
    signature.push(')');
    if let Some(result) = &function.result {
        signature.push_str(" -> ");
        wit(result, &mut signature);
    }
    if signature.len() > MAX_FALLBACK {
        let mut end = MAX_FALLBACK;
        while !signature.is_char_boundary(end) {
            end -= 1;
        }
        signature.truncate(end);
        signature.push('…');
    }
    format!("`{signature}`, from the plugin `{plugin}`")
}

/// `ty` as WIT writes it (records, variants, enums and flags by kind:
/// wasmtime keeps no type names).
fn wit(ty: &Type, out: &mut String) {
    let simple = match ty {
        Type::Bool => "bool",
        Type::S8 => "s8",
        Type::U8 => "u8",
        Type::S16 => "s16",
        Type::U16 => "u16",
        Type::S32 => "s32",
        Type::U32 => "u32",
        Type::S64 => "s64",
        Type::U64 => "u64",
        Type::F32 => "f32",
        Type::F64 => "f64",
        Type::Char => "char",
        Type::String => "string",
        Type::Record(_) => "record",
        Type::Variant(_) => "variant",
        Type::Enum(_) => "enum",
        Type::Flags(_) => "flags",
        Type::List(inner) => return generic(out, "list", &[inner]),
        Type::Option(inner) => return generic(out, "option", &[inner]),
        Type::Tuple(items) => {
            let items: Vec<&Type> = items.iter().collect();
            return generic(out, "tuple", &items);
        }
        Type::Result { ok, err } => {
            out.push_str("result<");
            match ok {
                Some(ok) => wit(ok, out),
                None => out.push('_'),
            }
            if let Some(err) = err {
                out.push_str(", ");
                wit(err, out);
            }
            out.push('>');
            return;
        }
    };
    out.push_str(simple);
}

fn generic(out: &mut String, name: &str, items: &[&Type]) {
    out.push_str(name);
    out.push('<');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        wit(item, out);
    }
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use moat_wit_json::Param;

    #[test]
    fn the_fallback_is_the_signature() {
        let param = |name: &str| Param {
            name: name.into(),
            ty: Type::F64,
            docs: None,
        };
        let mul = Function {
            name: "mul".into(),
            docs: None,
            params: vec![param("x"), param("y")],
            result: Some(Type::F64),
        };
        assert_eq!(
            fallback(&mul, "calc"),
            "`mul(x: f64, y: f64) -> f64`, from the plugin `calc`"
        );
        let div = Function {
            name: "div".into(),
            docs: None,
            params: vec![Param {
                name: "l".into(),
                ty: Type::List(Box::new(Type::Option(Box::new(Type::U8)))),
                docs: None,
            }],
            result: Some(Type::Result {
                ok: None,
                err: Some(Box::new(Type::String)),
            }),
        };
        assert_eq!(
            fallback(&div, "p"),
            "`div(l: list<option<u8>>) -> result<_, string>`, from the plugin `p`"
        );
    }
}
