//! The response cache's tag index: for each cache tag core named on an answer (the product, its
//! categories, the market…: `core_domain::cache_tags`), the keys of the stored entries that
//! carry it, so that a purge by tag finds its entries without scanning the cache.
//!
//! It is kept in step with the cache: an entry's keys are added when it is stored and removed
//! when Moka drops it (eviction, expiry, replacement), through the cache's eviction listener.
//! Each reference holds the number of the entry it was made for, so that a replaced entry's
//! removal never takes out its successor's reference. Its memory is bounded with the cache's:
//! each entry's weight counts its tags.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cache::CacheKey;

/// Most tags one answer may carry to be stored (a listing of 100 products carries about 105).
pub const MAX_TAGS_PER_ENTRY: usize = 512;
/// Longest tag kept; an answer naming a longer one is not stored.
pub const MAX_TAG_BYTES: usize = 128;

/// Tag → (key → entry number).
#[derive(Debug, Default)]
pub struct TagIndex {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tags: HashMap<Box<str>, HashMap<CacheKey, u64>>,
    /// References held, over every tag.
    references: usize,
    /// What it holds, estimated: tags and keys with their maps' overhead.
    bytes: usize,
}

/// Estimated bytes of a tag's map and of one reference, beyond the tag's and the key's text.
const TAG_OVERHEAD: usize = 96;
const REFERENCE_OVERHEAD: usize = 56;

impl TagIndex {
    /// Files entry `number`, stored under `key`, under each of its `tags`.
    pub fn add(&self, key: &CacheKey, tags: &[Box<str>], number: u64) {
        let mut inner = self.lock();
        for tag in tags {
            let mut bytes = 0;
            let keys = inner.tags.entry(tag.clone()).or_insert_with(|| {
                bytes += tag.len() + TAG_OVERHEAD;
                HashMap::new()
            });
            if keys.insert(key.clone(), number).is_none() {
                bytes += key.target_len() + REFERENCE_OVERHEAD;
                inner.references += 1;
            }
            inner.bytes += bytes;
        }
    }

    /// Removes entry `number`'s references (left alone when a newer entry has replaced it).
    pub fn remove(&self, key: &CacheKey, tags: &[Box<str>], number: u64) {
        let mut inner = self.lock();
        for tag in tags {
            let Some(keys) = inner.tags.get_mut(tag) else { continue };
            if keys.get(key) == Some(&number) {
                keys.remove(key);
                let empty = keys.is_empty();
                inner.references -= 1;
                inner.bytes -= key.target_len() + REFERENCE_OVERHEAD;
                if empty {
                    inner.tags.remove(tag);
                    inner.bytes -= tag.len() + TAG_OVERHEAD;
                }
            }
        }
    }

    /// The keys filed under any of `tags`, each once.
    pub fn keys(&self, tags: &[String]) -> Vec<CacheKey> {
        let inner = self.lock();
        let mut keys: Vec<CacheKey> =
            tags.iter().filter_map(|t| inner.tags.get(t.as_str())).flat_map(|keys| keys.keys().cloned()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Tags indexed, and references over all of them.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.tags.len(), inner.references)
    }

    /// What it holds in memory, estimated in bytes.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The tags of a header value (space-separated); `None` when there are too many or one is too
/// long to be indexed.
pub fn parse(value: &str) -> Option<Box<[Box<str>]>> {
    let mut tags: Vec<Box<str>> = value.split_ascii_whitespace().map(Box::from).collect();
    if tags.len() > MAX_TAGS_PER_ENTRY || tags.iter().any(|t| t.len() > MAX_TAG_BYTES) {
        return None;
    }
    tags.sort_unstable();
    tags.dedup();
    Some(tags.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str) -> CacheKey {
        CacheKey::new(false, path.to_string())
    }

    #[test]
    fn keys_are_found_by_any_tag_and_leave_with_their_entry_only() {
        let index = TagIndex::default();
        let tags = |s: &str| parse(s).unwrap();
        index.add(&key("/a"), &tags("p:1 c:9"), 1);
        index.add(&key("/list"), &tags("c:9 p:1 p:2"), 2);
        assert_eq!(index.keys(&["p:1".into()]), [key("/a"), key("/list")]);
        assert_eq!(index.keys(&["p:2".into(), "c:9".into()]), [key("/a"), key("/list")]);
        assert!(index.keys(&["p:3".into()]).is_empty());
        assert_eq!(index.size(), (3, 5));
        assert_eq!(index.bytes(), 3 * 3 + 3 * TAG_OVERHEAD + 2 * 2 + 3 * 5 + 5 * REFERENCE_OVERHEAD);

        // `/a` stored again (entry 3) before the removal of entry 1 is heard of.
        index.add(&key("/a"), &tags("p:1"), 3);
        index.remove(&key("/a"), &tags("p:1 c:9"), 1);
        assert_eq!(index.keys(&["p:1".into()]), [key("/a"), key("/list")], "the new entry keeps its reference");
        assert_eq!(index.keys(&["c:9".into()]), [key("/list")]);
        index.remove(&key("/a"), &tags("p:1"), 3);
        index.remove(&key("/list"), &tags("c:9 p:1 p:2"), 2);
        assert_eq!((index.size(), index.bytes()), ((0, 0), 0), "nothing left behind");
    }

    #[test]
    fn header_values_are_split_and_bounded() {
        assert_eq!(parse("  p:1   c:2 p:1 ").unwrap().as_ref(), [Box::from("c:2"), Box::from("p:1")]);
        assert_eq!(parse("").unwrap().len(), 0);
        assert!(parse(&"t ".repeat(MAX_TAGS_PER_ENTRY + 1)).is_none());
        assert!(parse(&"x".repeat(MAX_TAG_BYTES + 1)).is_none());
    }
}
