//! Which epoch last changed what (`Registry`), and what an answer
//! depends on (`Deps`).

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use super::{Changes, Key, TABLES};

/// Which epoch last changed what, and whether this replica can know.
#[derive(Debug)]
pub struct Registry {
    state: RwLock<Epochs>,
    /// On PostgreSQL, known only while this replica hears the others'
    /// commits (LISTEN); while it does not, nothing may be answered from
    /// what was kept.
    known: tokio::sync::watch::Sender<bool>,
    /// This replica's changes not yet announced to the others.
    outgoing: Mutex<Changes>,
    /// The epoch, for whoever waits for a change to be heard.
    applied: tokio::sync::watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Epochs {
    epoch: u64,
    everything: u64,
    /// Any change to the table, whole or in part.
    table_any: [u64; TABLES.len()],
    /// A change to the table as a whole.
    table_whole: [u64; TABLES.len()],
    rows: HashMap<Key, u64>,
}

impl Epochs {
    /// The epoch that last changed `dep`, as a dependency.
    fn of(&self, dep: Key) -> u64 {
        let changed = match dep {
            Key::Table(t) => self.table_any[t.0 as usize],
            row => {
                let whole = row
                    .family()
                    .iter()
                    .map(|t| self.table_whole[t.0 as usize])
                    .max()
                    .unwrap_or(0);
                whole.max(self.rows.get(&row).copied().unwrap_or(0))
            }
        };
        changed.max(self.everything)
    }
}

/// What a kept answer needs to be checked against later.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deps {
    pub(super) keys: Box<[Key]>,
}

impl Deps {
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

impl Registry {
    pub fn new(known: bool) -> Self {
        Registry {
            state: RwLock::new(Epochs::default()),
            known: tokio::sync::watch::Sender::new(known),
            outgoing: Mutex::new(Changes::default()),
            applied: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The epoch now, or `None` when this replica cannot know it.
    pub fn current(&self) -> Option<u64> {
        if !*self.known.borrow() {
            return None;
        }
        self.state.read().ok().map(|s| s.epoch)
    }

    /// The latest epoch that changed any of `deps` (0: none ever did), or
    /// `None` while this replica cannot know.
    pub fn changed(&self, deps: &Deps) -> Option<u64> {
        if !*self.known.borrow() {
            return None;
        }
        let state = self.state.read().ok()?;
        Some(
            deps.keys
                .iter()
                .map(|k| state.of(*k))
                .max()
                .unwrap_or(0)
                .max(state.everything),
        )
    }

    /// The latest epoch that changed `key`.
    pub fn changed_key(&self, key: Key) -> u64 {
        self.state.read().map_or(u64::MAX, |s| s.of(key))
    }

    /// The epoch now, known or not: for a cache of this replica's own
    /// (partners, locations) that also expires by time.
    pub fn epoch(&self) -> u64 {
        self.state.read().map_or(0, |s| s.epoch)
    }

    /// Records changes committed here or heard from elsewhere; returns the
    /// new epoch.
    pub fn apply(&self, changes: &Changes) -> u64 {
        let Ok(mut s) = self.state.write() else {
            return 0;
        };
        s.epoch += 1;
        let epoch = s.epoch;
        if changes.everything {
            s.everything = epoch;
        }
        for key in &changes.keys {
            match *key {
                Key::Table(t) => {
                    s.table_any[t.0 as usize] = epoch;
                    s.table_whole[t.0 as usize] = epoch;
                }
                row => {
                    for t in row.family() {
                        s.table_any[t.0 as usize] = epoch;
                    }
                    s.rows.insert(row, epoch);
                }
            }
        }
        drop(s);
        self.applied.send_replace(epoch);
        epoch
    }

    /// Returns once a change after `epoch` has been recorded here (one of
    /// this replica's commits, or another's heard).
    pub async fn until_after(&self, epoch: u64) {
        let mut applied = self.applied.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = applied.wait_for(|e| *e > epoch).await;
    }

    /// A commit of this replica: applied here at once, and queued for the
    /// other replicas.
    pub fn committed(&self, changes: Changes) {
        if changes.is_empty() {
            return;
        }
        self.apply(&changes);
        if let Ok(mut out) = self.outgoing.lock() {
            out.merge(changes);
        }
    }

    /// What this replica changed since the last call (for NOTIFY).
    pub fn take_outgoing(&self) -> Changes {
        self.outgoing
            .lock()
            .map(|mut o| std::mem::take(&mut *o))
            .unwrap_or_else(|_| Changes::everything())
    }

    /// Listening for other replicas' commits started (`true`) or stopped.
    /// Either way what was kept before no longer holds.
    pub fn set_known(&self, known: bool) {
        self.apply(&Changes::everything());
        self.known.send_replace(known);
    }

    /// Returns once this replica hears the others (at once on SQLite).
    pub async fn until_known(&self) {
        let mut known = self.known.subscribe();
        // The sender lives as long as `self`: this cannot fail.
        let _ = known.wait_for(|k| *k).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::changes::Table;
    fn t(name: &str) -> Table {
        Table::named(name).expect(name)
    }

    #[test]
    fn an_answer_holds_until_what_it_read_changes() {
        let r = Registry::new(true);
        let since = r.current().expect("known");
        let page = Deps {
            keys: vec![
                Key::Catalog,
                Key::Stock(1),
                Key::Stock(2),
                Key::Table(t("location")),
            ]
            .into(),
        };
        let other = Deps {
            keys: vec![Key::Orders(7)].into(),
        };
        let fresh = |d: &Deps| r.changed(d).expect("known") <= since;
        // Another product's stock, another partner's orders.
        r.committed(Changes {
            everything: false,
            keys: [Key::Stock(3), Key::Orders(8)].into(),
        });
        assert!(fresh(&page) && fresh(&other));
        // Its own stock.
        r.committed(Changes {
            everything: false,
            keys: [Key::Stock(2)].into(),
        });
        assert!(!fresh(&page) && fresh(&other));
        // A table as a whole retires every key of it.
        let since = r.current().expect("known");
        let fresh = |d: &Deps| r.changed(d).expect("known") <= since;
        r.committed(Changes {
            everything: false,
            keys: [Key::Table(Table::ORDER_LINE)].into(),
        });
        assert!(!fresh(&other));
        assert!(fresh(&page));
        // Everything retires everything; not knowing answers nothing.
        r.committed(Changes::everything());
        assert!(!fresh(&page));
        r.set_known(false);
        assert_eq!(r.changed(&page), None);
        assert_eq!(r.current(), None);
    }
}
