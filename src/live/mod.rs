//! Live events: the feed behind `stockChanged`, `orderEvents` and
//! `productChanged` (served
//! over graphql-transport-ws by `http::ws`).
//!
//! The order events, the stock ledger and the catalogue's audit rows,
//! written in the same transaction as the changes they record, are the
//! outbox (`feed`, `product_feed`). After a commit,
//! only a wake-up travels (`wake`: in-process on SQLite, LISTEN/NOTIFY on
//! PostgreSQL, so every replica hears every commit); one dispatcher per
//! replica then reads what is new once and fans it out (`hub`), and each
//! subscriber filters it for its caller. Events carry opaque cursors, so a
//! client that reconnects with `since` misses nothing.

pub mod feed;
pub mod hub;
pub mod product_feed;
pub mod wake;
