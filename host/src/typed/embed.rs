//! `moat embed-docs`: the WIT doc comments put back into a built component
//! (the toolchains drop them), encoded by wit-parser's own
//! `PackageMetadata::encode`, in two custom sections:
//!
//! - `package-docs`, in the form wit-parser's decoder expects of a
//!   component: the docs of its synthetic `root` world (top-level functions,
//!   exported interfaces' export docs). `wasm-tools component wit` reads it.
//!   The decoder has no place in it for the functions and types of an
//!   interface from a named package (it injects into the `root` package
//!   only, and refuses a section naming anything else), so:
//! - [`MOAT_SECTION`], the docs of the author's whole WIT package (its
//!   matching world, its interfaces, their functions, types, fields and
//!   cases), which other tools ignore and moat reads first.
//!
//! Both are made for the world of the WIT sources whose exports the
//! component has.

use std::path::Path;

use anyhow::{Context as _, bail};
use wasmparser::{Chunk, Encoding, Parser, Payload, Validator, WasmFeatures};
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{PackageMetadata, Resolve, WorldId, WorldItem, WorldKey};

use super::exports::toolchain_export;

/// The custom section holding the author's whole package's docs.
pub const MOAT_SECTION: &str = "moat-package-docs";

/// What embedding did: the new component, the world whose docs it holds,
/// and the component's exports that world does not describe.
pub struct Embedded {
    /// The component with the section.
    pub bytes: Vec<u8>,
    /// The world of the WIT sources that matched, e.g. `example:typed/typed`.
    pub world: String,
    /// Exports of the component the world does not have (no docs for them).
    pub undescribed: Vec<String>,
}

/// Embeds the docs of the WIT sources in `wit` (a directory or a file)
/// into `component`, replacing any `package-docs` it had. Refuses WIT that
/// describes none of the component's exports, and a result that does not
/// validate.
pub fn embed(wit: &Path, component: &[u8]) -> anyhow::Result<Embedded> {
    let stripped = without_docs(component)?;
    let DecodedWasm::Component(mut decoded, root) =
        decode(&stripped).context("cannot read the component's exports")?
    else {
        bail!("it is a WIT package encoded as wasm, not a component");
    };
    let exported = tool_exports(&decoded, root);

    let mut resolve = Resolve::new();
    let (package, _) = resolve
        .push_path(wit)
        .with_context(|| format!("cannot parse the WIT in {}", wit.display()))?;
    let worlds: Vec<(String, WorldId)> = resolve.packages[package]
        .worlds
        .iter()
        .map(|(name, id)| (name.clone(), *id))
        .collect();
    let (name, id, matched) = worlds
        .into_iter()
        .map(|(name, id)| {
            let names = export_names(&resolve, id);
            let matched = exported.iter().filter(|e| names.contains(e)).count();
            (name, id, matched)
        })
        .max_by_key(|(_, _, matched)| *matched)
        .with_context(|| format!("the WIT in {} has no world", wit.display()))?;
    if matched == 0 {
        bail!(
            "no world of the WIT in {} exports what the component does ({}): is it the WIT of another component?",
            wit.display(),
            if exported.is_empty() {
                "nothing".to_owned()
            } else {
                exported.join(", ")
            }
        );
    }
    let described = export_names(&resolve, id);
    let undescribed = exported
        .into_iter()
        .filter(|e| !described.contains(e) && !e.starts_with("wasi:"))
        .collect();
    let world = format!("{}/{name}", resolve.packages[package].name);
    // Only the matching world's docs: the host reads top-level functions
    // from the world the section holds.
    let full = {
        let mut pruned = resolve.clone();
        pruned.packages[package].worlds.retain(|n, _| *n == name);
        PackageMetadata::extract(&pruned, package).encode()?
    };
    copy_world_docs(&resolve, id, &mut decoded, root);
    let root_package = decoded.worlds[root]
        .package
        .context("the decoded world has no package")?;
    let standard = PackageMetadata::extract(&decoded, root_package).encode()?;

    let mut bytes = stripped;
    for (name, data) in [
        (PackageMetadata::SECTION_NAME, standard),
        (MOAT_SECTION, full),
    ] {
        bytes.push(0); // a custom section
        wasm_encoder::Encode::encode(
            &wasm_encoder::CustomSection {
                name: name.into(),
                data: data.into(),
            },
            &mut bytes,
        );
    }
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .context("the component does not validate with the docs embedded")?;
    Ok(Embedded {
        bytes,
        world,
        undescribed,
    })
}

/// Gives each export of the decoded component's `root` world the docs of
/// the same export of the source world `from`.
fn copy_world_docs(source: &Resolve, from: WorldId, decoded: &mut Resolve, root: WorldId) {
    let docs: Vec<(String, wit_parser::Docs)> = source.worlds[from]
        .exports
        .iter()
        .filter_map(|(key, item)| {
            let docs = match item {
                WorldItem::Function(f) => f.docs.clone(),
                WorldItem::Interface { docs, .. } => docs.clone(),
                WorldItem::Type { .. } => return None,
            };
            Some((source.name_world_key(key), docs))
        })
        .collect();
    decoded.worlds[root].docs = source.worlds[from].docs.clone();
    let keys: Vec<(WorldKey, String)> = decoded.worlds[root]
        .exports
        .keys()
        .map(|key| (key.clone(), decoded.name_world_key(key)))
        .collect();
    for (key, name) in keys {
        let Some((_, found)) = docs.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        match decoded.worlds[root].exports.get_mut(&key) {
            Some(WorldItem::Function(f)) => f.docs = found.clone(),
            Some(WorldItem::Interface { docs, .. }) => *docs = found.clone(),
            _ => {}
        }
    }
}

/// The names of the component's exports that hold tools: as
/// [`export_names`], leaving out the toolchains' own (jco's `init`, and
/// componentize-py's `exports` interface, whose functions are all its own).
fn tool_exports(resolve: &Resolve, world: WorldId) -> Vec<String> {
    resolve.worlds[world]
        .exports
        .iter()
        .filter(|(key, item)| match item {
            WorldItem::Function(f) => !toolchain_export(&f.name),
            WorldItem::Interface { id, .. } => {
                let name = resolve.name_world_key(key);
                !name.starts_with("wasi:")
                    && resolve.interfaces[*id]
                        .functions
                        .keys()
                        .any(|f| !toolchain_export(f))
            }
            WorldItem::Type { .. } => false,
        })
        .map(|(key, _)| resolve.name_world_key(key))
        .collect()
}

/// The names of `world`'s exports: functions by name, interfaces as
/// `ns:pkg/name@version`.
fn export_names(resolve: &Resolve, world: WorldId) -> Vec<String> {
    resolve.worlds[world]
        .exports
        .iter()
        .filter(|(_, item)| matches!(item, WorldItem::Function(_) | WorldItem::Interface { .. }))
        .map(|(key, _)| resolve.name_world_key(key))
        .collect()
}

/// `component` without its component-level docs sections (`package-docs`
/// and [`MOAT_SECTION`]), every other byte as it was.
pub fn without_docs(component: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(component.len());
    let mut parser = Parser::new(0);
    let mut offset = 0;
    loop {
        let Chunk::Parsed { consumed, payload } = parser.parse(&component[offset..], true)? else {
            bail!("the component is truncated");
        };
        let end = match &payload {
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => usize::try_from(unchecked_range.end)?,
            _ => offset + consumed,
        };
        let keep = match &payload {
            Payload::Version { encoding, .. } if *encoding != Encoding::Component => {
                bail!("a core WebAssembly module, not a component")
            }
            Payload::CustomSection(custom) => {
                ![PackageMetadata::SECTION_NAME, MOAT_SECTION].contains(&custom.name())
            }
            _ => true,
        };
        if keep {
            out.extend_from_slice(&component[offset..end]);
        }
        offset = end;
        if matches!(payload, Payload::End(_)) {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_parser_still_reads_the_component_with_its_docs() {
        let bytes = std::fs::read(moat_test_artifacts::TYPED).unwrap();
        let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/typed/wit");
        let embedded = embed(&wit, &bytes).unwrap();
        let Ok(DecodedWasm::Component(resolve, root)) = decode(&embedded.bytes) else {
            panic!("wit-parser cannot decode the embedded component");
        };
        let mul = resolve.worlds[root]
            .exports
            .get(&WorldKey::Name("mul".into()))
            .unwrap();
        let WorldItem::Function(mul) = mul else {
            panic!("mul is not a function")
        };
        assert_eq!(mul.docs.contents.as_deref(), Some("Multiplies x by y."));
        // Embedding again replaces both sections.
        let again = embed(&wit, &embedded.bytes).unwrap();
        assert_eq!(again.bytes, embedded.bytes);
        assert_eq!(embedded.world, "example:typed@0.1.0/typed");
    }
}
