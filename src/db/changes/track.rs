//! Tracking per task: what a request read, what its open transaction
//! changed, and every statement seen on its way (`observe`).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::{Changes, Deps, Key, Registry, Table, named};

/// One request's (or one background task's) reads and its open
/// transaction's writes.
#[derive(Debug, Default)]
struct Tracked {
    /// None in a background task, whose reads make no answer.
    reads: Option<BTreeSet<Key>>,
    writes: Changes,
    /// Tables the open transaction writes only as far as its keys say.
    covered: Vec<Table>,
    /// Transactions of `begin_write` open in this task.
    open: u32,
}

#[derive(Clone, Debug, Default)]
struct Tracker(Arc<Mutex<Tracked>>);

tokio::task_local! {
    static TRACKER: Tracker;
    static COVERED: &'static [Table];
}

fn with_tracker<T>(f: impl FnOnce(&mut Tracked) -> T) -> Option<T> {
    TRACKER
        .try_with(|t| t.0.lock().ok().map(|mut g| f(&mut g)))
        .ok()
        .flatten()
}

/// Runs `work` tracking what it reads; returns what it read.
pub async fn track<F: Future>(work: F) -> (F::Output, Deps) {
    let tracker = Tracker(Arc::new(Mutex::new(Tracked {
        reads: Some(BTreeSet::new()),
        ..Tracked::default()
    })));
    let out = TRACKER.scope(tracker.clone(), work).await;
    let keys = tracker
        .0
        .lock()
        .ok()
        .and_then(|mut t| t.reads.take())
        .map(|r| r.into_iter().collect())
        .unwrap_or_default();
    (out, Deps { keys })
}

/// Runs `work` (a background task's loop) tracking its writes, so that
/// its commits retire only what they touch.
pub async fn tracking_writes<F: Future>(work: F) -> F::Output {
    TRACKER.scope(Tracker::default(), work).await
}

/// Wraps `work` to run on another task (a DataLoader's batch) as part of
/// the current task's tracking.
pub fn carry<F: Future>(work: F) -> impl Future<Output = F::Output> {
    let tracker = TRACKER.try_with(Tracker::clone).ok();
    async move {
        match tracker {
            Some(t) => TRACKER.scope(t, work).await,
            None => work.await,
        }
    }
}

/// The answer depends on `keys` (read from memory, not by a statement).
pub fn depends_on(keys: impl IntoIterator<Item = Key>) {
    with_tracker(|t| {
        if let Some(reads) = &mut t.reads {
            reads.extend(keys);
        }
    });
}

/// Runs `work`, whose statements read `tables` only as far as `keys`
/// say: the answer depends on the keys, not on the tables as a whole.
pub async fn reading<F: Future>(
    tables: &'static [Table],
    keys: impl IntoIterator<Item = Key>,
    work: F,
) -> F::Output {
    depends_on(keys);
    COVERED.scope(tables, work).await
}

/// The open transaction (of `begin_write`, in this task) writes `tables`
/// only as far as `keys` say, from here to its end: its commit changes the
/// keys, not the tables. Called inside the transaction, before the
/// statements it speaks for.
pub fn changing(tables: &'static [Table], keys: impl IntoIterator<Item = Key>) {
    // Nothing tracking this task, its commit says "everything" anyway.
    with_tracker(|t| {
        t.writes.keys.extend(keys);
        t.covered.extend_from_slice(tables);
    });
}

/// A transaction of `begin_write` begins in this task.
pub(crate) fn begin() {
    with_tracker(|t| t.open += 1);
}

/// It ends: committed, what it changed (everything when this task tracks
/// nothing); rolled back, nothing.
pub(crate) fn end(committed: bool) -> Changes {
    with_tracker(|t| {
        t.open = t.open.saturating_sub(1);
        t.covered.clear();
        let writes = std::mem::take(&mut t.writes);
        if committed {
            writes
        } else {
            Changes::default()
        }
    })
    .unwrap_or_else(|| {
        if committed {
            Changes::everything()
        } else {
            Changes::default()
        }
    })
}

pub(crate) fn observe(sql: &str, registry: &Registry) {
    let named = named(sql);
    if named.read.is_empty() {
        return;
    }
    let covered: &[Table] = COVERED.try_with(|c| *c).unwrap_or(&[]);
    let tracked = with_tracker(|t| {
        if let Some(reads) = &mut t.reads {
            for table in &named.read {
                if !covered.contains(table) {
                    reads.insert(Key::Table(*table));
                }
            }
        }
        let whole: Vec<Key> = named
            .written
            .iter()
            .filter(|w| !t.covered.contains(w))
            .map(|w| Key::Table(*w))
            .collect();
        if t.open > 0 {
            t.writes.keys.extend(whole);
            None
        } else {
            // A write outside a transaction is committed already.
            let mut now = Changes::default();
            now.keys.extend(whole);
            if !named.written.is_empty() && now.keys.is_empty() {
                // Covered, but nobody will commit it: say everything.
                now.everything = true;
            }
            Some(now)
        }
    });
    match tracked {
        Some(Some(now)) => registry.committed(now),
        Some(None) => {}
        // Nobody tracks this task: a write may be its own commit, and a
        // transaction's commit will say everything again.
        None if !named.written.is_empty() => registry.committed(Changes::everything()),
        None => {}
    }
}
