//! `ocop-gateway check`: levels rebuilt from the ledger and from open
//! orders must equal the stored levels.

use entity::enums::OrderStatus;
use sea_orm::{ActiveEnum, ConnectionTrait, Statement};

use crate::error::AppResult;

/// One disagreement found by [`check_invariants`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub product_id: i64,
    pub location_id: i64,
    pub what: &'static str,
    pub stored: i64,
    pub expected: i64,
}

/// `{open}` is the list of statuses whose allocations are still reserved.
const LEDGER_SQL: &str = "
SELECT l.product_id, l.location_id, l.on_hand, l.reserved,
       CAST(COALESCE(m.on_hand, 0) AS BIGINT) AS ledger_on_hand,
       CAST(COALESCE(m.reserved, 0) AS BIGINT) AS ledger_reserved,
       CAST(COALESCE(a.reserved, 0) AS BIGINT) AS open_reserved
FROM inventory_level l
LEFT JOIN (SELECT product_id, location_id, SUM(on_hand_delta) AS on_hand, SUM(reserved_delta) AS reserved
           FROM stock_movement GROUP BY product_id, location_id) m
       ON m.product_id = l.product_id AND m.location_id = l.location_id
LEFT JOIN (SELECT oa.product_id, oa.location_id, SUM(oa.quantity - oa.released - oa.shipped) AS reserved
           FROM order_allocation oa JOIN purchase_order o ON o.id = oa.order_id
           WHERE o.status IN ({open})
           GROUP BY oa.product_id, oa.location_id) a
       ON a.product_id = l.product_id AND a.location_id = l.location_id
WHERE l.on_hand <> COALESCE(m.on_hand, 0)
   OR l.reserved <> COALESCE(m.reserved, 0)
   OR l.reserved <> COALESCE(a.reserved, 0)";

const ORPHAN_SQL: &str = "
SELECT m.product_id, m.location_id, CAST(SUM(m.on_hand_delta) AS BIGINT) AS on_hand
FROM stock_movement m
LEFT JOIN inventory_level l ON l.product_id = m.product_id AND l.location_id = m.location_id
WHERE l.id IS NULL
GROUP BY m.product_id, m.location_id";

fn ledger_sql() -> String {
    let open = [OrderStatus::Placed, OrderStatus::Confirmed]
        .map(|s| format!("'{}'", s.to_value()))
        .join(", ");
    LEDGER_SQL.replace("{open}", &open)
}

/// Rebuilds every level from the ledger and compares (in SQL, so only
/// disagreeing rows leave the database): on-hand and reserved
/// must equal the ledger's sums, reserved must equal what open orders hold,
/// and no ledger row may point at a missing level. Empty means consistent.
pub async fn check_invariants(db: &impl ConnectionTrait) -> AppResult<Vec<Mismatch>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, ledger_sql()))
        .await?
    {
        let product_id: i64 = row.try_get("", "product_id")?;
        let location_id: i64 = row.try_get("", "location_id")?;
        let on_hand: i64 = row.try_get("", "on_hand")?;
        let reserved: i64 = row.try_get("", "reserved")?;
        let checks = [
            (
                "on_hand vs ledger",
                on_hand,
                row.try_get::<i64>("", "ledger_on_hand")?,
            ),
            (
                "reserved vs ledger",
                reserved,
                row.try_get::<i64>("", "ledger_reserved")?,
            ),
            (
                "reserved vs open orders",
                reserved,
                row.try_get::<i64>("", "open_reserved")?,
            ),
        ];
        for (what, stored, expected) in checks {
            if stored != expected {
                out.push(Mismatch {
                    product_id,
                    location_id,
                    what,
                    stored,
                    expected,
                });
            }
        }
    }
    for row in db
        .query_all_raw(Statement::from_string(backend, ORPHAN_SQL))
        .await?
    {
        out.push(Mismatch {
            product_id: row.try_get("", "product_id")?,
            location_id: row.try_get("", "location_id")?,
            what: "ledger rows without a level",
            stored: 0,
            expected: row.try_get("", "on_hand")?,
        });
    }
    Ok(out)
}
