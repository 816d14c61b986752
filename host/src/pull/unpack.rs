//! The component inside a plain image's tar (or tar+gzip) layer: exactly
//! one regular `*.wasm` file, no links, no `..`, and the decompressed
//! stream bounded.

use std::io::{self, Read, Write};
use std::path::Component;

use anyhow::{Context as _, bail, ensure};
use tar::EntryType;

/// Copies the one `*.wasm` file of the tar in `layer` (gunzipped first if
/// `gzip`) into `out`. Refuses a link or device entry, a path with `..` or
/// a root, a second `*.wasm` file, none, or more than `limit` bytes of
/// decompressed tar in all (a gzip bomb).
pub fn component(
    layer: impl Read,
    gzip: bool,
    limit: u64,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let stream: Box<dyn Read> = match gzip {
        true => Box::new(flate2::read::GzDecoder::new(layer)),
        false => Box::new(layer),
    };
    let mut archive = tar::Archive::new(Bounded {
        inner: stream,
        left: limit,
        limit,
    });
    let mut found: Option<String> = None;
    for entry in archive.entries().context("the layer is not a tar")? {
        let mut entry = entry.context("the layer's tar is malformed")?;
        let path = entry
            .path()
            .context("a tar entry's path is not readable")?
            .into_owned();
        let shown = path.display().to_string();
        ensure!(
            path.components()
                .all(|part| matches!(part, Component::Normal(_) | Component::CurDir)),
            "the layer's tar holds the path `{shown}` (with `..` or a root): refused"
        );
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Directory
            | EntryType::XGlobalHeader
            | EntryType::XHeader
            | EntryType::GNULongName => continue,
            other => bail!(
                "the layer's tar holds `{shown}` of type {other:?} (a link or a device): refused"
            ),
        }
        if path.extension().is_none_or(|ext| ext != "wasm") {
            continue;
        }
        if let Some(first) = &found {
            bail!("the layer's tar holds two .wasm files, `{first}` and `{shown}`: refused");
        }
        io::copy(&mut entry, out).context("cannot write the component")?;
        found = Some(shown);
    }
    ensure!(found.is_some(), "the layer's tar holds no .wasm file");
    Ok(())
}

/// A reader that fails once more than `limit` bytes have passed.
struct Bounded<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.left = self.left.checked_sub(read as u64).ok_or_else(|| {
            io::Error::other(format!(
                "the layer decompresses to more than {} bytes (--max-size): refused",
                self.limit
            ))
        })?;
        Ok(read)
    }
}
