//! What can still be ordered of a stock level: on hand less reserved. The
//! one formula, for Rust and for the SQL that filters or sorts by it.
//! Reservations never exceed on hand (the conditional `UPDATE`s that take
//! them say so), so it is never negative.

pub fn available(on_hand: i64, reserved: i64) -> i64 {
    on_hand - reserved
}

/// The same, as an SQL expression over the `inventory_level` row `alias`.
pub fn available_sql(alias: &str) -> String {
    format!("({alias}.on_hand - {alias}.reserved)")
}
