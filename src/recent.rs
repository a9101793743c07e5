//! A bounded cache: two generations of at most `capacity / 2` entries and
//! `max_bytes / 2` bytes each (every value is inserted with its size); a
//! hit in the old generation moves the entry to the new one, and when the
//! new one fills, the old one is dropped. That is least-recently-used
//! eviction in halves, with one lock and no list to maintain, and memory
//! bounded in bytes, not only in entries: a flood of large values evicts
//! itself instead of growing the process.

use std::collections::HashMap;
use std::sync::Mutex;

pub type Key = [u8; 32];

pub struct Recent<V> {
    half: usize,
    half_bytes: usize,
    generations: Mutex<(Generation<V>, Generation<V>)>,
}

struct Generation<V> {
    entries: HashMap<Key, (V, usize)>,
    bytes: usize,
}

impl<V> Default for Generation<V> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<V: Clone> Recent<V> {
    /// At most `capacity` entries; no bound on bytes.
    pub fn new(capacity: usize) -> Self {
        Self::with_bytes(capacity, usize::MAX)
    }

    /// At most `capacity` entries and `max_bytes` bytes (as the values'
    /// sizes are given to `insert_sized`). A value larger than half the
    /// bytes is not kept.
    pub fn with_bytes(capacity: usize, max_bytes: usize) -> Self {
        Self {
            half: (capacity / 2).max(1),
            half_bytes: max_bytes / 2,
            generations: Mutex::new(Default::default()),
        }
    }

    pub fn get(&self, key: &Key) -> Option<V> {
        let mut guard = self.generations.lock().ok()?;
        let (new, old) = &mut *guard;
        if let Some((v, _)) = new.entries.get(key) {
            return Some(v.clone());
        }
        let (v, size) = old.entries.remove(key)?;
        old.bytes -= size;
        self.put(new, old, *key, v.clone(), size);
        Some(v)
    }

    /// Inserts a value of no size to speak of.
    pub fn insert(&self, key: Key, value: V) {
        self.insert_sized(key, value, 0);
    }

    /// Inserts a value of `size` bytes.
    pub fn insert_sized(&self, key: Key, value: V, size: usize) {
        if size > self.half_bytes {
            return;
        }
        if let Ok(mut guard) = self.generations.lock() {
            let (new, old) = &mut *guard;
            self.put(new, old, key, value, size);
        }
    }

    fn put(
        &self,
        new: &mut Generation<V>,
        old: &mut Generation<V>,
        key: Key,
        value: V,
        size: usize,
    ) {
        if let Some((_, previous)) = new.entries.remove(&key) {
            new.bytes -= previous;
        }
        if new.entries.len() >= self.half || new.bytes + size > self.half_bytes {
            *old = std::mem::take(new);
            if let Some((_, previous)) = old.entries.remove(&key) {
                old.bytes -= previous;
            }
        }
        new.bytes += size;
        new.entries.insert(key, (value, size));
    }

    /// Bytes held now (both generations).
    pub fn bytes(&self) -> usize {
        self.generations.lock().map_or(0, |g| g.0.bytes + g.1.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_half_is_dropped() {
        let cache = Recent::new(4);
        let key = |i: u8| [i; 32];
        cache.insert(key(1), 1);
        cache.insert(key(2), 2);
        // Full: 1 and 2 move to the old generation.
        cache.insert(key(3), 3);
        // A hit moves 1 back to the new generation.
        assert_eq!(cache.get(&key(1)), Some(1));
        // The new generation (3, 1) is full: 2 is dropped.
        cache.insert(key(4), 4);
        assert_eq!(cache.get(&key(2)), None);
        assert_eq!(cache.get(&key(1)), Some(1));
        assert_eq!(cache.get(&key(3)), Some(3));
    }

    #[test]
    fn bytes_are_bounded_whatever_the_entries() {
        let cache = Recent::with_bytes(1_000_000, 1_000);
        let key = |i: u32| {
            let mut k = [0; 32];
            k[..4].copy_from_slice(&i.to_le_bytes());
            k
        };
        for i in 0..10_000 {
            cache.insert_sized(key(i), i, 100);
            assert!(cache.bytes() <= 1_000, "{} bytes after {i}", cache.bytes());
        }
        // The newest are kept; a value over half the budget never is.
        assert_eq!(cache.get(&key(9_999)), Some(9_999));
        cache.insert_sized(key(1), 1, 501);
        assert_eq!(cache.get(&key(1)), None);
        // Replacing a key does not count it twice.
        for _ in 0..100 {
            cache.insert_sized(key(7), 7, 100);
        }
        assert!(cache.bytes() <= 1_000);
        assert_eq!(cache.get(&key(7)), Some(7));
    }
}
