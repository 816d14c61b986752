//! Descriptions from the WIT doc comments, as the component's
//! `package-docs` custom section carries them.
//!
//! The section is wit-parser's [`PackageMetadata`] encoding (a version byte,
//! then JSON): `moat embed-docs`' section of the author's whole WIT package
//! where there is one, else the standard `package-docs` (whose top-level
//! functions' docs are read the same way). Toolchains drop both today. It is checked with wit-parser's own decoder,
//! then read through the small view below, since wit-parser keeps its
//! fields private. Docs are matched to the exports by name: a top-level
//! function in the package's world, an exported interface `ns:pkg/name@v` by
//! its `name`. A record's fields and a variant's cases are matched to the
//! interface's documented type whose documented items they all are
//! (wasmtime's types carry no type names).

use std::collections::BTreeMap;

use moat_wit_json::Type;
use serde::Deserialize;
use wit_parser::PackageMetadata;

use super::embed::MOAT_SECTION;

/// The largest `package-docs` section read, in bytes. Docs of a few hundred
/// functions take tens of KiB; a larger section is ignored (with a warning)
/// so that a hostile component cannot make the host parse megabytes of
/// JSON for descriptions the listing limits would refuse anyway. Fixed.
pub const MAX_DOCS_SECTION: usize = 1 << 20;

/// The documented items of one package, as read from its section.
#[derive(Debug, Default, Deserialize)]
pub struct PackageDocs {
    #[serde(default)]
    worlds: BTreeMap<String, WorldDocs>,
    #[serde(default)]
    interfaces: BTreeMap<String, InterfaceDocs>,
}

#[derive(Debug, Default, Deserialize)]
struct WorldDocs {
    #[serde(default)]
    funcs: BTreeMap<String, FuncDocs>,
    #[serde(default)]
    func_exports: BTreeMap<String, FuncDocs>,
    #[serde(default)]
    types: BTreeMap<String, TypeDocs>,
    #[serde(default)]
    interface_export_docs: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct InterfaceDocs {
    #[serde(default)]
    docs: Option<String>,
    #[serde(default)]
    funcs: BTreeMap<String, FuncDocs>,
    #[serde(default)]
    types: BTreeMap<String, TypeDocs>,
}

/// wit-parser's v0 form (the docs alone) or v1 form (docs and stability).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum FuncDocs {
    Just(Option<String>),
    Full {
        #[serde(default)]
        docs: Option<String>,
    },
}

impl FuncDocs {
    fn docs(&self) -> Option<&str> {
        match self {
            Self::Just(docs) | Self::Full { docs } => docs.as_deref(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct TypeDocs {
    #[serde(default)]
    items: BTreeMap<String, String>,
}

/// The data of the component-level docs section of `bytes`, if there is
/// one: `moat embed-docs`' whole-package section, else the standard
/// `package-docs` (sections inside nested modules are not the component's).
pub fn section(bytes: &[u8]) -> Option<&[u8]> {
    let mut depth = 0usize;
    let mut standard = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else { break };
        match payload {
            wasmparser::Payload::ModuleSection { .. }
            | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) if depth > 0 => depth -= 1,
            wasmparser::Payload::CustomSection(custom) if depth == 0 => match custom.name() {
                MOAT_SECTION => return Some(custom.data()),
                name if name == PackageMetadata::SECTION_NAME => standard = Some(custom.data()),
                _ => {}
            },
            _ => {}
        }
    }
    standard
}

impl PackageDocs {
    /// Reads a section's data; the error says why it cannot be used.
    pub fn read(data: &[u8]) -> Result<Self, String> {
        if data.len() > MAX_DOCS_SECTION {
            return Err(format!(
                "its `package-docs` section is {} bytes, over the {MAX_DOCS_SECTION} bytes moat reads",
                data.len()
            ));
        }
        PackageMetadata::decode(data)
            .map_err(|e| format!("its `package-docs` section is not wit-parser's format: {e}"))?;
        serde_json::from_slice(&data[1..])
            .map_err(|e| format!("its `package-docs` section cannot be read: {e}"))
    }

    /// The doc comment of `function`, exported from `interface` (`None` at
    /// top level), with its interface's docs after it.
    pub fn function(&self, interface: Option<&str>, function: &str) -> Option<String> {
        match interface {
            None => self.worlds.values().find_map(|world| {
                let docs = world
                    .func_exports
                    .get(function)
                    .or(world.funcs.get(function));
                docs.and_then(FuncDocs::docs).map(str::to_owned)
            }),
            Some(name) => {
                let docs = self.interface(name)?;
                let own = docs.funcs.get(function).and_then(FuncDocs::docs);
                let about = docs.docs.as_deref().or_else(|| {
                    self.worlds
                        .values()
                        .find_map(|w| w.interface_export_docs.get(name).map(String::as_str))
                });
                match (own, about) {
                    (Some(own), Some(about)) => Some(format!("{own}\n\n{about}")),
                    (Some(own), None) => Some(own.to_owned()),
                    (None, _) => None,
                }
            }
        }
    }

    /// Fills in the docs of the record fields and variant cases in `ty`,
    /// used by a function exported from `interface`.
    pub fn annotate(&self, interface: Option<&str>, ty: &mut Type) {
        let types = match interface {
            Some(name) => self.interface(name).map(|docs| &docs.types),
            None => self.worlds.values().next().map(|world| &world.types),
        };
        if let Some(types) = types {
            annotate(types, ty);
        }
    }

    /// The docs of the exported interface `name` (`ns:pkg/iface@1.0.0`).
    fn interface(&self, name: &str) -> Option<&InterfaceDocs> {
        let short = name.rsplit_once('/').map_or(name, |(_, rest)| rest);
        let short = short.split('@').next().unwrap_or(short);
        self.interfaces.get(short)
    }
}

/// Fills in field and case docs throughout `ty` from `types`.
fn annotate(types: &BTreeMap<String, TypeDocs>, ty: &mut Type) {
    match ty {
        Type::Record(fields) => {
            let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
            let items = matching(types, &names);
            for field in fields.iter_mut() {
                if let Some(docs) = items.and_then(|items| items.get(&field.name)) {
                    field.docs = Some(docs.clone());
                }
                annotate(types, &mut field.ty);
            }
        }
        Type::Variant(cases) => {
            let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
            let items = matching(types, &names);
            for case in cases.iter_mut() {
                if let Some(docs) = items.and_then(|items| items.get(&case.name)) {
                    case.docs = Some(docs.clone());
                }
                if let Some(ty) = &mut case.ty {
                    annotate(types, ty);
                }
            }
        }
        Type::List(inner) | Type::Option(inner) => annotate(types, inner),
        Type::Tuple(items) => items.iter_mut().for_each(|ty| annotate(types, ty)),
        Type::Result { ok, err } => {
            for side in [ok, err].into_iter().flatten() {
                annotate(types, side);
            }
        }
        _ => {}
    }
}

/// The documented items of the type whose documented items are all among
/// `names`, the one matching most of them.
fn matching<'a>(
    types: &'a BTreeMap<String, TypeDocs>,
    names: &[&str],
) -> Option<&'a BTreeMap<String, String>> {
    types
        .values()
        .map(|docs| &docs.items)
        .filter(|items| !items.is_empty() && items.keys().all(|k| names.contains(&k.as_str())))
        .max_by_key(|items| items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use moat_wit_json::Field;

    fn docs() -> PackageDocs {
        let json = r#"{
            "worlds": {"w": {"func_exports": {"mul": {"docs": "Multiplies."}}}},
            "interfaces": {"kinds": {
                "docs": "Every type.",
                "funcs": {"echo": {"docs": "Echoes."}, "old": "In v0 form."},
                "types": {"point": {"docs": "A point.", "items": {"x": "Across."}}}
            }}
        }"#;
        let mut data = vec![1];
        data.extend_from_slice(json.as_bytes());
        PackageDocs::read(&data).unwrap()
    }

    #[test]
    fn functions_and_interfaces_are_found_by_name() {
        let docs = docs();
        assert_eq!(docs.function(None, "mul").as_deref(), Some("Multiplies."));
        assert_eq!(
            docs.function(Some("example:typed/kinds@0.1.0"), "echo")
                .as_deref(),
            Some("Echoes.\n\nEvery type.")
        );
        assert_eq!(
            docs.function(Some("example:typed/kinds@0.1.0"), "old")
                .as_deref(),
            Some("In v0 form.\n\nEvery type.")
        );
        assert_eq!(docs.function(None, "div"), None);
        assert_eq!(docs.function(Some("a:b/other"), "echo"), None);
    }

    #[test]
    fn fields_get_their_docs() {
        let field = |name: &str| Field {
            name: name.into(),
            ty: Type::F64,
            docs: None,
        };
        let mut ty = Type::List(Box::new(Type::Record(vec![field("x"), field("y")])));
        docs().annotate(Some("example:typed/kinds@0.1.0"), &mut ty);
        let Type::List(inner) = ty else { panic!() };
        let Type::Record(fields) = *inner else {
            panic!()
        };
        assert_eq!(fields[0].docs.as_deref(), Some("Across."));
        assert_eq!(fields[1].docs, None);
    }

    #[test]
    fn a_bad_section_is_refused() {
        assert!(PackageDocs::read(b"\x07{}").is_err());
        assert!(PackageDocs::read(b"\x01[").is_err());
        assert!(PackageDocs::read(&vec![1; MAX_DOCS_SECTION + 1]).is_err());
    }
}
