//! `moat embed-docs`: the WIT doc comments put back into a built component,
//! as the `package-docs` custom section wit-parser writes (the toolchains
//! drop it). The section is made by wit-parser's own encoder from the WIT
//! sources, for the world whose exports the component has.

use std::path::Path;

use anyhow::{Context as _, bail};
use wasmparser::{Chunk, Encoding, Parser, Payload, Validator, WasmFeatures};
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{PackageMetadata, Resolve, WorldId, WorldItem};

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
    let DecodedWasm::Component(decoded, world) =
        decode(&stripped).context("cannot read the component's exports")?
    else {
        bail!("it is a WIT package encoded as wasm, not a component");
    };
    let exported = export_names(&decoded, world);

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
    resolve.packages[package].worlds.retain(|n, _| *n == name);
    let section = PackageMetadata::extract(&resolve, package).encode()?;

    let mut bytes = stripped;
    bytes.push(0); // a custom section
    wasm_encoder::Encode::encode(
        &wasm_encoder::CustomSection {
            name: PackageMetadata::SECTION_NAME.into(),
            data: section.into(),
        },
        &mut bytes,
    );
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&bytes)
        .context("the component does not validate with the docs embedded")?;
    Ok(Embedded {
        bytes,
        world,
        undescribed,
    })
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

/// `component` without its component-level `package-docs` sections, every
/// other byte as it was.
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
            Payload::CustomSection(custom) => custom.name() != PackageMetadata::SECTION_NAME,
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
