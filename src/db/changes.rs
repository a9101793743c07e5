//! What an answer read and what a commit changed, so that a commit retires
//! only the kept answers it touches (`crate::http::cache`), on every
//! replica.
//!
//! Both sides are seen at the statement: every statement of a pool passes
//! through `observe`, which finds the tables it names. A read makes the
//! request's answer depend on each table it read, a write makes the open
//! transaction change each table it wrote. That is complete by
//! construction, and coarse. Where it matters (a product, one product's
//! stock, one partner's orders, the set of products a page may list) the
//! domain function that reads or writes says so with `reading` (around
//! its statements) or `changing` (inside its transaction): those tables
//! are then covered by the keys it names instead.
//!
//! Whatever cannot be told is taken as "everything": a commit in a task
//! that tracks nothing, a write outside a transaction of `begin_write`,
//! an announcement from another replica that did not arrive or did not
//! parse.
//!
//! Validity (`Registry`): every commit announced takes the next epoch;
//! each key and table remembers the epoch that last changed it. An answer
//! computed from epoch `s` on (read before it ran) is still the answer
//! while nothing it depends on changed after `s`.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};

/// A table of ours, by its index in `TABLES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table(u8);

/// Every table, sorted (looked up by binary search). A test holds it to
/// the migrated schema.
pub const TABLES: [&str; 28] = [
    "certificate",
    "contract_price",
    "contract_price_break",
    "fulfillment_rollup",
    "inventory_level",
    "level_sales_rollup",
    "location",
    "media",
    "order_allocation",
    "order_event",
    "order_line",
    "partner",
    "partner_audit",
    "producer",
    "product",
    "product_audit",
    "product_image",
    "purchase_order",
    "sales_rollup",
    "seaql_migrations",
    "shipment",
    "shipment_line",
    "shipment_package",
    "stock_movement",
    "store",
    "webhook_cursor",
    "webhook_delivery",
    "webhook_endpoint",
];

impl Table {
    pub const INVENTORY_LEVEL: Table = Table(4);
    pub const LOCATION: Table = Table(6);
    pub const ORDER_ALLOCATION: Table = Table(8);
    pub const ORDER_EVENT: Table = Table(9);
    pub const ORDER_LINE: Table = Table(10);
    pub const PARTNER: Table = Table(11);
    pub const PRODUCT: Table = Table(14);
    pub const PURCHASE_ORDER: Table = Table(17);
    pub const SHIPMENT: Table = Table(20);
    pub const SHIPMENT_LINE: Table = Table(21);
    pub const SHIPMENT_PACKAGE: Table = Table(22);

    /// The tables of one partner's orders: what `Key::Orders` covers.
    pub const ORDERS: &'static [Table] = &[
        Table::PURCHASE_ORDER,
        Table::ORDER_LINE,
        Table::ORDER_ALLOCATION,
        Table::ORDER_EVENT,
        Table::SHIPMENT,
        Table::SHIPMENT_PACKAGE,
        Table::SHIPMENT_LINE,
    ];

    /// Our SQL names tables in lower case, quoted or not.
    pub fn named(name: &str) -> Option<Table> {
        TABLES.binary_search(&name).ok().map(|i| Table(i as u8))
    }

    pub fn name(self) -> &'static str {
        TABLES[self.0 as usize]
    }
}

/// Something an answer depends on and a commit changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A whole table.
    Table(Table),
    /// Which products there are and what a filter sees of them: what a
    /// page of products depends on (any product write changes it).
    Catalog,
    /// One product's row.
    Product(i64),
    /// One product's stock levels.
    Stock(i64),
    /// One partner's orders, their lines, events and shipments.
    Orders(i64),
    /// One partner's row: its name, status, grants, listing rules.
    Partner(i64),
}

impl Key {
    /// The tables this key is a part of: a change to one of them as a
    /// whole changes the key too.
    fn family(self) -> &'static [Table] {
        match self {
            Key::Table(_) => &[],
            Key::Catalog | Key::Product(_) => &[Table::PRODUCT],
            Key::Stock(_) => &[Table::INVENTORY_LEVEL],
            Key::Orders(_) => Table::ORDERS,
            Key::Partner(_) => &[Table::PARTNER],
        }
    }

    /// As carried between replicas: `t4`, `c`, `p12`, `s12`, `o3`, `r3`.
    fn write(self, out: &mut String) {
        use std::fmt::Write;
        let _ = match self {
            Key::Table(t) => write!(out, "t{}", t.0),
            Key::Catalog => write!(out, "c"),
            Key::Product(id) => write!(out, "p{id}"),
            Key::Stock(id) => write!(out, "s{id}"),
            Key::Orders(id) => write!(out, "o{id}"),
            Key::Partner(id) => write!(out, "r{id}"),
        };
    }

    fn read(text: &str) -> Option<Key> {
        let (kind, rest) = text.split_at_checked(1)?;
        let number = || rest.parse::<i64>().ok();
        Some(match kind {
            "t" => Key::Table(
                rest.parse::<u8>()
                    .ok()
                    .filter(|i| (*i as usize) < TABLES.len())
                    .map(Table)?,
            ),
            "c" if rest.is_empty() => Key::Catalog,
            "p" => Key::Product(number()?),
            "s" => Key::Stock(number()?),
            "o" => Key::Orders(number()?),
            "r" => Key::Partner(number()?),
            _ => return None,
        })
    }
}

/// What one commit (or several, coalesced) changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub everything: bool,
    pub keys: BTreeSet<Key>,
}

impl Changes {
    pub fn everything() -> Self {
        Changes {
            everything: true,
            keys: BTreeSet::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.everything && self.keys.is_empty()
    }

    pub fn merge(&mut self, other: Changes) {
        self.everything |= other.everything;
        if self.everything {
            self.keys.clear();
        } else {
            self.keys.extend(other.keys);
        }
    }

    /// The text carried to other replicas: `*` for everything, else the
    /// keys separated by spaces. `None` when longer than `max` bytes (the
    /// caller sends `*` instead).
    pub fn encode(&self, max: usize) -> Option<String> {
        if self.everything {
            return Some("*".into());
        }
        let mut out = String::new();
        for k in &self.keys {
            if !out.is_empty() {
                out.push(' ');
            }
            k.write(&mut out);
            if out.len() > max {
                return None;
            }
        }
        Some(out)
    }

    /// Reads `encode`'s text; anything it cannot read is everything.
    pub fn decode(text: &str) -> Changes {
        if text == "*" {
            return Changes::everything();
        }
        let mut keys = BTreeSet::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            match Key::read(word) {
                Some(k) => {
                    keys.insert(k);
                }
                None => return Changes::everything(),
            }
        }
        Changes {
            everything: false,
            keys,
        }
    }
}

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
    keys: Box<[Key]>,
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

// ----- tracking, per task -----

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

/// What one statement names: the tables it reads and those it writes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Named {
    pub read: Vec<Table>,
    pub written: Vec<Table>,
}

/// The tables a statement names, and which of them it writes (those after
/// `INSERT .. INTO`, `UPDATE` and `DELETE FROM`). A word that happens to be
/// a table's name (a column, an alias) counts as a read too: more, never
/// less.
pub fn named(sql: &str) -> Named {
    let mut out = Named::default();
    let mut previous: [&str; 2] = ["", ""];
    let mut inserting = false;
    for word in sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
    {
        let table = Table::named(word);
        if let Some(t) = table {
            if !out.read.contains(&t) {
                out.read.push(t);
            }
            let target = (inserting && previous[1].eq_ignore_ascii_case("into"))
                || previous[1].eq_ignore_ascii_case("update")
                || (previous[1].eq_ignore_ascii_case("from")
                    && previous[0].eq_ignore_ascii_case("delete"));
            if target && !out.written.contains(&t) {
                out.written.push(t);
            }
        }
        if word.eq_ignore_ascii_case("insert") {
            inserting = true;
        } else if word.eq_ignore_ascii_case("into") && inserting {
            // `INSERT INTO t` names one table; a later INTO is not ours.
        } else if inserting && previous[1].eq_ignore_ascii_case("into") {
            inserting = false;
        }
        previous = [previous[1], word];
    }
    out
}

/// Every statement of a pool passes here after it ran.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Table {
        Table::named(name).expect(name)
    }

    #[test]
    fn the_constants_name_their_tables() {
        assert_eq!(Table::INVENTORY_LEVEL.name(), "inventory_level");
        assert_eq!(Table::LOCATION.name(), "location");
        assert_eq!(Table::ORDER_ALLOCATION.name(), "order_allocation");
        assert_eq!(Table::ORDER_EVENT.name(), "order_event");
        assert_eq!(Table::ORDER_LINE.name(), "order_line");
        assert_eq!(Table::PARTNER.name(), "partner");
        assert_eq!(Table::PRODUCT.name(), "product");
        assert_eq!(Table::PURCHASE_ORDER.name(), "purchase_order");
        assert_eq!(Table::SHIPMENT.name(), "shipment");
        assert_eq!(Table::SHIPMENT_LINE.name(), "shipment_line");
        assert_eq!(Table::SHIPMENT_PACKAGE.name(), "shipment_package");
    }

    #[test]
    fn statements_name_what_they_read_and_write() {
        let n = named(
            r#"SELECT "product"."id", "product"."sku" FROM "product" WHERE "product"."category" = $1"#,
        );
        assert_eq!(n.read, vec![t("product")]);
        assert!(n.written.is_empty());
        let n = named(
            "WITH wanted (product_id, location_id, qty) AS (VALUES ($2, $3, $4)),
             locked AS (SELECT il.product_id FROM inventory_level il JOIN wanted w ON true
               ORDER BY il.product_id FOR UPDATE OF il)
             UPDATE inventory_level il SET reserved = il.reserved + w.qty FROM wanted w JOIN locked l ON true",
        );
        assert_eq!(n.written, vec![t("inventory_level")]);
        let n = named(
            r#"INSERT INTO "order_line" ("order_id", "product_id") VALUES ($1, $2) RETURNING "id", "product_id""#,
        );
        assert_eq!(n.written, vec![t("order_line")]);
        assert!(n.read.contains(&t("order_line")));
        let n = named(
            "WITH m AS (INSERT INTO stock_movement (a) SELECT 1 FROM product RETURNING 1), \
             e AS (INSERT INTO order_event (b) VALUES (1)) SELECT 1",
        );
        assert_eq!(n.written, vec![t("stock_movement"), t("order_event")]);
        assert!(n.read.contains(&t("product")), "a table only read");
        let n = named("DELETE FROM webhook_delivery WHERE created_at_ms < $1");
        assert_eq!(n.written, vec![t("webhook_delivery")]);
        // `FOR UPDATE OF d` and `ON CONFLICT .. DO UPDATE SET` name no table.
        let n = named(
            "INSERT INTO sales_rollup (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = sales_rollup.a + 1",
        );
        assert_eq!(n.written, vec![t("sales_rollup")]);
        let n = named(
            "SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id FOR UPDATE OF d SKIP LOCKED",
        );
        assert!(n.written.is_empty());
    }

    #[test]
    fn changes_travel_as_text_and_anything_unread_is_everything() {
        let mut c = Changes::default();
        c.keys.extend([
            Key::Stock(12),
            Key::Orders(3),
            Key::Partner(3),
            Key::Catalog,
            Key::Table(t("sales_rollup")),
        ]);
        let text = c.encode(7_900).expect("fits");
        assert_eq!(Changes::decode(&text), c);
        assert!(c.encode(5).is_none(), "too long for the payload");
        assert!(Changes::decode("*").everything);
        assert!(Changes::decode("s12 bogus").everything);
        assert!(Changes::decode("t200").everything, "no such table");
        assert!(Changes::decode("").is_empty());
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
