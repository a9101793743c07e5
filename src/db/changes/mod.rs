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

use std::collections::BTreeSet;

mod named;
mod registry;
mod track;

pub use named::{Named, named};
pub use registry::{Deps, Registry};
pub(crate) use track::{begin, end, observe};
pub use track::{carry, changing, depends_on, reading, track, tracking_writes};

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
}
