use std::io::Write as _;

use crate::pull::unpack::component;

/// One tar entry: path, type, content (a link's content is its target).
type Entry<'a> = (&'a str, tar::EntryType, &'a [u8]);

/// A tar of `entries`: (path, type, content; a link's content is its target).
fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, kind, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        if kind.is_symlink() || kind.is_hard_link() {
            header.set_size(0);
            builder
                .append_link(&mut header, path, std::str::from_utf8(content).unwrap())
                .unwrap();
        } else {
            header.set_size(content.len() as u64);
            // Written raw so that a `..` path gets into the archive at all.
            let name = header.as_old_mut().name.as_mut();
            name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_cksum();
            builder.append(&header, *content).unwrap();
        }
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn unpack(layer: &[u8], gzip: bool, limit: u64) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    component(layer, gzip, limit, &mut out).map(|()| out)
}

const REG: tar::EntryType = tar::EntryType::Regular;
const DIR: tar::EntryType = tar::EntryType::Directory;

#[test]
fn the_one_wasm_file_of_a_tar_or_tar_gzip_is_the_component() {
    let layer = tar(&[
        ("app/", DIR, b""),
        ("app/README", REG, b"hi"),
        ("app/math.wasm", REG, b"\0asm"),
    ]);
    assert_eq!(unpack(&layer, false, 1 << 20).unwrap(), b"\0asm");
    assert_eq!(unpack(&gzip(&layer), true, 1 << 20).unwrap(), b"\0asm");
}

#[test]
fn links_dotdot_two_components_and_none_are_refused() {
    let cases: [(&[Entry], &str); 5] = [
        (
            &[("math.wasm", tar::EntryType::Symlink, b"/etc/passwd")],
            "a link or a device",
        ),
        (
            &[("math.wasm", tar::EntryType::Link, b"other")],
            "a link or a device",
        ),
        (&[("../math.wasm", REG, b"\0asm")], "with `..` or a root"),
        (
            &[("a.wasm", REG, b"\0asm"), ("b/b.wasm", REG, b"\0asm")],
            "two .wasm files",
        ),
        (&[("README", REG, b"hi")], "no .wasm file"),
    ];
    for (entries, reason) in cases {
        let error = format!("{:#}", unpack(&tar(entries), false, 1 << 20).unwrap_err());
        assert!(error.contains(reason), "{entries:?}: {error}");
    }
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_limit() {
    // 16 MiB of zeros gzips to about 16 KiB; the limit is 1 MiB.
    let zeros = vec![0u8; 16 << 20];
    let layer = gzip(&tar(&[("big.wasm", REG, &zeros)]));
    assert!(layer.len() < 1 << 20);
    let error = format!("{:#}", unpack(&layer, true, 1 << 20).unwrap_err());
    assert!(error.contains("more than 1048576 bytes"), "{error}");
}

#[test]
fn a_layer_that_is_not_a_tar_is_refused() {
    assert!(unpack(b"\0asm not a tar at all, just bytes", false, 1 << 20).is_err());
    assert!(unpack(b"not gzip", true, 1 << 20).is_err());
}
