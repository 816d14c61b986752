//! One list the host serves (`tools/list`, `resources/list`,
//! `resources/templates/list`, `prompts/list`), cut into pages at load.
//!
//! A page holds at most [`PAGE_ITEMS`] items and [`PAGE_BYTES`] bytes of
//! JSON (at least one item, which the listing limits keep small). Its
//! `nextCursor` is opaque to clients: it names the page and the list it
//! belongs to by a fingerprint of the whole list. A reload that swaps the
//! registry for one with the same list keeps every cursor valid; one that
//! changes the list makes the old cursors stale, and a stale cursor is
//! refused (`-32602`) rather than answered with a page of the new list, which
//! would skip or repeat items. The client lists again from the start, as it
//! does anyway on `notifications/*/list_changed`.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// The most items one page holds. Clients that do not follow `nextCursor`
/// see only the first page, so it holds every item of an ordinary
/// deployment: a few plugins of tens of tools each is a few hundred, and a
/// model is given at most a few hundred tools at once anyway (OpenAI's API
/// takes 128). A deployment past a thousand is served in pages.
pub const PAGE_ITEMS: usize = 1000;

/// The most bytes of JSON one page holds, so that no answer is tens of
/// megabytes however many plugins are loaded. An ordinary tool definition
/// is 0.5-5 KiB, so a thousand of them fit.
pub const PAGE_BYTES: usize = 4 << 20;

/// A served list, its page boundaries and its fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    items: Vec<T>,
    /// The index of the first item of each page after the first.
    starts: Vec<usize>,
    /// A hash of every item's JSON, in order.
    fingerprint: u64,
}

/// A cursor the list cannot resume from: not one it gave (`garbled`), or
/// one it gave before it changed.
#[derive(Debug, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this host gives.
    #[error("invalid cursor `{0}`: it is not a cursor this server gave")]
    Garbled(String),
    /// A cursor of a list that has changed since.
    #[error("invalid cursor `{0}`: the list has changed since; list it again from the start")]
    Stale(String),
}

impl CursorError {
    /// The cursor as the client sent it, cut to 100 characters.
    pub fn cursor(&self) -> &str {
        match self {
            Self::Garbled(cursor) | Self::Stale(cursor) => cursor,
        }
    }
}

impl<T: Serialize + Clone> Listing<T> {
    /// Cuts `items` into pages.
    pub fn new(items: Vec<T>) -> Self {
        let mut hasher = DefaultHasher::new();
        let mut starts = Vec::new();
        let (mut count, mut bytes) = (0, 0);
        for (i, item) in items.iter().enumerate() {
            let json = serde_json::to_vec(item).unwrap_or_default();
            json.hash(&mut hasher);
            if count > 0 && (count == PAGE_ITEMS || bytes + json.len() > PAGE_BYTES) {
                starts.push(i);
                (count, bytes) = (0, 0);
            }
            count += 1;
            bytes += json.len();
        }
        Self {
            items,
            starts,
            fingerprint: hasher.finish(),
        }
    }

    /// Every item, in order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page `cursor` names (the first without one), and the cursor of
    /// the next page, if there is one.
    pub fn page(&self, cursor: Option<&str>) -> Result<(Vec<T>, Option<String>), CursorError> {
        let page = match cursor {
            None => 0,
            Some(cursor) => self.resume(cursor)?,
        };
        let start = page.checked_sub(1).map_or(0, |i| self.starts[i]);
        let end = self.starts.get(page).copied().unwrap_or(self.items.len());
        let next = (page < self.starts.len()).then(|| self.cursor(page + 1));
        Ok((self.items[start..end].to_vec(), next))
    }

    /// The cursor of page `page` (1 or more).
    fn cursor(&self, page: usize) -> String {
        URL_SAFE_NO_PAD.encode(format!("{:016x}.{page}", self.fingerprint))
    }

    /// The page a cursor names.
    fn resume(&self, cursor: &str) -> Result<usize, CursorError> {
        let shown: String = cursor.chars().take(100).collect();
        let garbled = || CursorError::Garbled(shown.clone());
        let decoded = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| garbled())?;
        let text = std::str::from_utf8(&decoded).map_err(|_| garbled())?;
        let (fingerprint, page) = text.split_once('.').ok_or_else(garbled)?;
        let fingerprint = u64::from_str_radix(fingerprint, 16).map_err(|_| garbled())?;
        let page: usize = page.parse().map_err(|_| garbled())?;
        if fingerprint != self.fingerprint {
            return Err(CursorError::Stale(shown));
        }
        if page == 0 || page > self.starts.len() {
            return Err(garbled());
        }
        Ok(page)
    }
}

impl<T: Serialize + Clone> Default for Listing<T> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        let listing = Listing::new((0..2500).collect::<Vec<u32>>());
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let (items, next) = listing.page(cursor.as_deref()).unwrap();
            assert!(items.len() <= PAGE_ITEMS);
            seen.extend(items);
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, (0..2500).collect::<Vec<u32>>());
    }

    #[test]
    fn pages_are_bounded_in_bytes() {
        let big = "x".repeat(1 << 20);
        let listing = Listing::new(vec![big; 10]);
        let (items, next) = listing.page(None).unwrap();
        assert_eq!(items.len(), 3);
        assert!(next.is_some());
    }

    #[test]
    fn cursors_of_a_changed_list_are_stale_and_others_garbled() {
        let old = Listing::new((0..1500).collect::<Vec<u32>>());
        let (_, next) = old.page(None).unwrap();
        let next = next.unwrap();
        let same = Listing::new((0..1500).collect::<Vec<u32>>());
        assert_eq!(same.page(Some(&next)).unwrap().0.len(), 500);
        let changed = Listing::new((1..1500).collect::<Vec<u32>>());
        assert!(matches!(
            changed.page(Some(&next)),
            Err(CursorError::Stale(_))
        ));
        for bad in ["", "nope", "!!!", &URL_SAFE_NO_PAD.encode("zz.1")] {
            assert!(
                matches!(old.page(Some(bad)), Err(CursorError::Garbled(_))),
                "{bad}"
            );
        }
        let beyond = URL_SAFE_NO_PAD.encode(format!("{:016x}.2", old.fingerprint));
        assert!(matches!(
            old.page(Some(&beyond)),
            Err(CursorError::Garbled(_))
        ));
    }
}
