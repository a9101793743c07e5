//! Folding the old stock ledger into opening balances.
//!
//! The ledger grows by a row for every reservation, release, shipment,
//! receipt and adjustment; nothing reads rows older than the live
//! events' replay window or the webhooks' fan-out except `check`, which
//! only sums them. So once a row is older than `LEDGER_RETENTION_DAYS`
//! (and the webhooks' fan-out has read past it), the rows of each
//! product at each location are folded into one: the newest of them
//! keeps its place in the outbox (its `tx` and `id`, so no reader sees
//! it as news) and takes the sums of all of them, as an adjustment whose
//! reason says so; the others are deleted. Every level's sums, and so
//! `check`, are unchanged.
//!
//! One compaction runs at a time across replicas (an advisory lock on
//! PostgreSQL, the write slot on SQLite), a range of products per
//! transaction, so writers are never held for long.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement, Value};

use crate::db::{Db, begin_write, sql};
use crate::domain::clock;
use crate::error::AppResult;

/// Products folded per transaction.
const PRODUCTS_PER_STEP: i64 = 200;
/// How often a serving replica looks for rows to fold.
const EVERY: Duration = Duration::from_secs(3600);
/// Any constant both replicas agree on: the advisory lock's key.
const LOCK_KEY: i64 = 0x0c0_1ed9e5;

/// What one compaction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Levels whose old rows became one opening balance.
    pub levels: u64,
    /// Ledger rows deleted.
    pub rows_removed: u64,
}

/// Folds every level's ledger rows older than `horizon` into one.
pub async fn compact_ledger(db: &Db, horizon: DateTime<Utc>) -> AppResult<Compacted> {
    let backend = db.get_database_backend();
    let top = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS top FROM product",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "top"))
        .transpose()?
        .unwrap_or(0);
    let mut done = Compacted::default();
    let mut first = 0;
    while first <= top {
        let (txn, slot) = begin_write(db).await?;
        if let Some(lock) = sql::advisory_xact_lock(backend, LOCK_KEY) {
            txn.execute_raw(Statement::from_string(backend, lock))
                .await?;
        }
        let step = fold(&txn, horizon, first, first + PRODUCTS_PER_STEP).await?;
        // A step that folded nothing rolls back: it retires no kept answer.
        if step.levels > 0 {
            slot.commit(txn).await?;
        } else {
            txn.rollback().await?;
        }
        done.levels += step.levels;
        done.rows_removed += step.rows_removed;
        first += PRODUCTS_PER_STEP;
    }
    Ok(done)
}

/// Which rows may be folded: older than the horizon, of products in
/// `[from, to)`, and behind the webhooks' fan-out while any endpoint may
/// still need them.
struct Eligible {
    from: i64,
    to: i64,
    fanned_out: Option<(i64, i64)>,
}

impl Eligible {
    async fn read(txn: &DatabaseTransaction, from: i64, to: i64) -> AppResult<Self> {
        let backend = txn.get_database_backend();
        let listening = txn
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT 1 AS one FROM webhook_endpoint WHERE enabled = TRUE LIMIT 1",
            ))
            .await?
            .is_some();
        let mut fanned_out = None;
        if listening {
            let cursor = txn
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT tx, id FROM webhook_cursor WHERE source = 'stock_movement'",
                ))
                .await?;
            fanned_out = Some(match cursor {
                Some(row) => (row.try_get("", "tx")?, row.try_get("", "id")?),
                None => (0, 0),
            });
        }
        Ok(Self {
            from,
            to,
            fanned_out,
        })
    }

    /// The condition on rows aliased `a`; `$1` is the horizon. Integers of
    /// ours, written into the statement.
    fn sql(&self, a: &str) -> String {
        let mut s = format!(
            "{a}.created_at < {p} AND {a}.product_id >= {from} AND {a}.product_id < {to}",
            p = "{horizon}",
            from = self.from,
            to = self.to
        );
        if let Some((tx, id)) = self.fanned_out {
            s.push_str(&format!(
                " AND ({a}.tx < {tx} OR ({a}.tx = {tx} AND {a}.id <= {id}))"
            ));
        }
        s
    }
}

async fn fold(
    txn: &DatabaseTransaction,
    horizon: DateTime<Utc>,
    from: i64,
    to: i64,
) -> AppResult<Compacted> {
    let backend = txn.get_database_backend();
    let rows = Eligible::read(txn, from, to).await?;
    let reason = format!(
        "opening balance: ledger rows before {} folded into one",
        horizon.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    // The newest old row of each level takes the sums of all of them.
    let update = format!(
        "UPDATE stock_movement SET kind = 'adjustment', on_hand_delta = s.on_hand,
                reserved_delta = s.reserved, order_id = NULL, actor_partner_id = NULL,
                reason = {reason}
         FROM (SELECT MAX(m.id) AS keep, CAST(SUM(m.on_hand_delta) AS BIGINT) AS on_hand,
                      CAST(SUM(m.reserved_delta) AS BIGINT) AS reserved
               FROM stock_movement m WHERE {m}
               GROUP BY m.product_id, m.location_id HAVING COUNT(*) > 1) s
         WHERE stock_movement.id = s.keep",
        reason = sql::param(backend, 2),
        m = rows.sql("m"),
    )
    .replace("{horizon}", &sql::param(backend, 1));
    let levels = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            [horizon.into(), Value::from(reason)],
        ))
        .await?
        .rows_affected();
    if levels == 0 {
        return Ok(Compacted::default());
    }
    // Every other old row of those levels goes: the kept one is still the
    // newest old row of its level, and a level's only row stays.
    let delete = format!(
        "DELETE FROM stock_movement WHERE id IN (
             SELECT m.id FROM stock_movement m WHERE {m}
               AND m.id NOT IN (SELECT MAX(k.id) FROM stock_movement k WHERE {k}
                                GROUP BY k.product_id, k.location_id))",
        m = rows.sql("m"),
        k = rows.sql("k"),
    )
    .replace("{horizon}", &sql::param(backend, 1));
    let rows_removed = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            delete,
            [horizon.into()],
        ))
        .await?
        .rows_affected();
    Ok(Compacted {
        levels,
        rows_removed,
    })
}

/// Folds the ledger every hour while the process serves (0 days: never).
pub fn start(db: Db, retention_days: i64) {
    if retention_days <= 0 {
        return;
    }
    // Its commits name the ledger rows they fold (kept answers that read
    // the ledger retire; levels do not change).
    tokio::spawn(crate::db::changes::tracking_writes(async move {
        loop {
            // Not at start: a restart is no reason to scan the ledger.
            tokio::time::sleep(EVERY).await;
            let horizon = clock::now() - chrono::Duration::days(retention_days);
            match compact_ledger(&db, horizon).await {
                Ok(c) if c.rows_removed > 0 => tracing::info!(
                    levels = c.levels,
                    rows = c.rows_removed,
                    "folded old stock ledger rows into opening balances"
                ),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = ?err, "stock ledger compaction failed"),
            }
        }
    }));
}
