//! A bounded cache: two generations of at most `capacity / 2` entries; a
//! hit in the old generation moves the entry to the new one, and when the
//! new one fills, the old one is dropped. That is least-recently-used
//! eviction in halves, with one lock and no list to maintain.

use std::collections::HashMap;
use std::sync::Mutex;

pub type Key = [u8; 32];

pub struct Recent<V> {
    half: usize,
    generations: Mutex<(HashMap<Key, V>, HashMap<Key, V>)>,
}

impl<V: Clone> Recent<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            half: (capacity / 2).max(1),
            generations: Mutex::new(Default::default()),
        }
    }

    pub fn get(&self, key: &Key) -> Option<V> {
        let mut guard = self.generations.lock().ok()?;
        let (new, old) = &mut *guard;
        if let Some(v) = new.get(key) {
            return Some(v.clone());
        }
        let v = old.remove(key)?;
        Self::put(new, old, self.half, *key, v.clone());
        Some(v)
    }

    pub fn insert(&self, key: Key, value: V) {
        if let Ok(mut guard) = self.generations.lock() {
            let (new, old) = &mut *guard;
            Self::put(new, old, self.half, key, value);
        }
    }

    fn put(new: &mut HashMap<Key, V>, old: &mut HashMap<Key, V>, half: usize, key: Key, value: V) {
        if new.len() >= half && !new.contains_key(&key) {
            *old = std::mem::take(new);
        }
        new.insert(key, value);
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
}
