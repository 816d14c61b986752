//! Assembles the two-memory fixture (`tests/fixtures/two-memories/`): no
//! Rust toolchain makes a component with two memories, so it is made here
//! from WAT, wit-component and wasm-encoder.

use std::path::Path;

use wasm_encoder::{Component, ComponentSectionId, InstanceSection, ModuleArg, RawSection};
use wasmparser::Payload;
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

/// The fixture with two memories of `pages` 64 KiB pages each.
pub fn build(root: &Path, pages: u32) -> Vec<u8> {
    let dir = root.join("tests/fixtures/two-memories");
    let wat = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        wat::parse_str(text.replace("PAGES", &pages.to_string())).unwrap()
    };
    let mut main = wat("main.wat");
    let mut resolve = Resolve::default();
    let (package, _) = resolve.push_dir(root.join("wit")).unwrap();
    let world = resolve.select_world(&[package], Some("plugin")).unwrap();
    wit_component::embed_component_metadata(
        &mut main,
        &resolve,
        world,
        StringEncoding::UTF8,
        false,
    )
    .unwrap();
    let inner = ComponentEncoder::default()
        .module(&main)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap();

    // The second memory: a core module appended to the component, and its
    // instance (an instantiated core instance holds its memory whether or
    // not anything uses it).
    let mut extra = Component::new();
    extra.section(&RawSection {
        id: ComponentSectionId::CoreModule as u8,
        data: &wat("extra.wat"),
    });
    let mut core = InstanceSection::new();
    core.instantiate(core_modules(&inner), [] as [(&str, ModuleArg); 0]);
    extra.section(&core);
    let mut component = inner;
    component.extend_from_slice(&extra.finish()[8..]);
    component
}

/// How many core modules `component` defines at its top level.
fn core_modules(component: &[u8]) -> u32 {
    let (mut depth, mut count) = (0u32, 0);
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        match payload.unwrap() {
            Payload::ModuleSection { .. } => {
                count += u32::from(depth == 0);
                depth += 1;
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    count
}
