//! Copies of a component that differ in their bytes only.
//!
//! wasmtime keys its compile cache on a hash of the component's bytes, so
//! identical copies of a plugin share one cache entry and are compiled once.
//! A copy with a custom section appended is the same plugin to every
//! runtime (custom sections carry no semantics) but its own cache entry.
//!
//! `host/benches/lifecycle.rs` includes this file too (`#[path]`), for the
//! plugins it adds under `moat serve --watch`.

/// The name of the custom section that makes copies distinct.
const SECTION: &str = "moat-bench";

/// `component` with a custom section named [`SECTION`] holding `payload`
/// appended: the same plugin, but different bytes, hence a different
/// compile-cache entry.
pub fn distinct(component: &[u8], payload: &str) -> Vec<u8> {
    let mut contents = leb128(SECTION.len());
    contents.extend_from_slice(SECTION.as_bytes());
    contents.extend_from_slice(payload.as_bytes());
    let mut bytes = component.to_vec();
    bytes.push(0); // the custom section id
    bytes.extend(leb128(contents.len()));
    bytes.extend(contents);
    bytes
}

/// `n` as an unsigned LEB128 number.
fn leb128(mut n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            bytes.push(low);
            return bytes;
        }
        bytes.push(low | 0x80);
    }
}

// No `use super::*`: `lifecycle.rs` includes this file in a build with
// `cfg(test)` but no test harness, where the import would be unused.
#[cfg(test)]
mod tests {
    #[test]
    fn leb128_numbers() {
        assert_eq!(super::leb128(0), [0]);
        assert_eq!(super::leb128(127), [0x7f]);
        assert_eq!(super::leb128(128), [0x80, 0x01]);
        assert_eq!(super::leb128(624_485), [0xe5, 0x8e, 0x26]);
    }

    #[test]
    fn copies_differ_by_an_appended_custom_section() {
        let component = b"\0asm\x0d\0\x01\0";
        let copy = super::distinct(component, "a");
        assert_eq!(&copy[..component.len()], component);
        assert_eq!(&copy[component.len()..], b"\0\x0c\x0amoat-bencha");
        assert_ne!(copy, super::distinct(component, "b"));
    }
}
