//! Catalogue events from their outbox, the audit rows every catalogue write
//! leaves (`product_audit`): one event per write, after a position, in
//! commit order, as `feed` reads the others.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::feed::Position;
use crate::db::sql;
use crate::error::AppResult;

pub const PRODUCT_AUDIT: &str = "product_audit";

/// A product was written: created, changed, submitted, reviewed,
/// discontinued, an image or a certificate added.
#[derive(Clone, Debug)]
pub struct ProductEvent {
    pub position: Position,
    pub product_id: i64,
    pub action: String,
    /// The version the write made.
    pub version: i32,
    pub at: DateTime<Utc>,
}

/// Up to `limit` catalogue events after `from`.
pub async fn product_events(
    db: &DatabaseConnection,
    from: Position,
    limit: u64,
) -> AppResult<Vec<ProductEvent>> {
    let backend = db.get_database_backend();
    // Positions are integers of ours, written into the statement.
    let sql = format!(
        "SELECT a.tx, a.id, a.product_id, a.action, a.version, a.created_at
         FROM product_audit a
         WHERE a.tx >= {tx} AND (a.tx > {tx} OR a.id > {id}){settled}
         ORDER BY a.tx, a.id LIMIT {limit}",
        tx = from.tx,
        id = from.id,
        settled = sql::settled(backend, "a"),
    );
    let mut events = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        events.push(ProductEvent {
            position: Position {
                tx: row.try_get("", "tx")?,
                id: row.try_get("", "id")?,
            },
            product_id: row.try_get("", "product_id")?,
            action: row.try_get("", "action")?,
            version: row.try_get("", "version")?,
            at: row.try_get("", "created_at")?,
        });
    }
    Ok(events)
}
