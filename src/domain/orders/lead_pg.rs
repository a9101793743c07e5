//! PostgreSQL: everything placing an order reads before it writes, in one
//! statement (SQLite reads table by table, `place`): whether the key was
//! used, whose store it is, the products, the contract in force for each
//! with its price breaks, and each product's stock levels with their
//! location codes.
//!
//! The rows are the products asked for (one row of NULLs when none is
//! found); the key and the store are one-row joins every row repeats, and
//! each product's contract and levels come from its own lateral subquery,
//! the levels as parallel arrays (one aggregate pass, so they stay aligned).
//! Nothing here is locked: the reservation re-checks every row it takes.

use std::collections::HashMap;

use entity::product;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, FromQueryResult, QueryResult, Statement,
    Value,
};

use super::plan::StockRow;
use super::request::ValidOrder;
use crate::domain::pricing::{Offer, PriceBreak};
use crate::error::AppResult;

/// What the one statement read.
pub(super) struct Lead {
    /// The order already placed with this key: its id and request hash.
    pub(super) replay: Option<(i64, String)>,
    /// The partner owning the store asked for; None: no such store.
    pub(super) store_partner: Option<i64>,
    pub(super) products: Vec<product::Model>,
    /// The contract in force today per product; absent: the list price.
    pub(super) offers: HashMap<i64, Offer>,
    pub(super) levels: HashMap<i64, Vec<StockRow>>,
}

pub(super) async fn read(
    txn: &DatabaseTransaction,
    partner_id: i64,
    order: &ValidOrder,
    today: chrono::NaiveDate,
) -> AppResult<Lead> {
    let mut values: Vec<Value> = vec![
        partner_id.into(),
        order.idempotency_key.clone().into(),
        order.store_id.into(),
        today.into(),
    ];
    let first = values.len() + 1;
    values.extend(order.lines.keys().map(|&id| Value::from(id)));
    let ids = (first..values.len() + 1)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT p.*, \
           o.id AS lead_replay_id, o.request_hash AS lead_replay_hash, \
           s.partner_id AS lead_store_partner, \
           c.id AS lead_contract_id, c.unit_price_vnd AS lead_contract_price, \
           c.minimum_quantity AS lead_contract_minimum, \
           c.quantity_increment AS lead_contract_increment, \
           br.quantities AS lead_break_quantities, br.prices AS lead_break_prices, \
           lv.locations AS lead_locations, lv.codes AS lead_codes, \
           lv.on_hand AS lead_on_hand, lv.reserved AS lead_reserved \
         FROM (SELECT 1) one \
         LEFT JOIN purchase_order o ON o.partner_id = $1 AND o.idempotency_key = $2 \
         LEFT JOIN store s ON s.id = $3 \
         LEFT JOIN product p ON p.id IN ({ids}) \
         LEFT JOIN LATERAL (SELECT c.id, c.unit_price_vnd, c.minimum_quantity, c.quantity_increment \
             FROM contract_price c \
             WHERE c.partner_id = $1 AND c.product_id = p.id AND c.valid_from <= $4 \
               AND (c.valid_to IS NULL OR c.valid_to >= $4) \
             ORDER BY c.valid_from DESC, c.id DESC LIMIT 1) c ON true \
         LEFT JOIN LATERAL (SELECT \
               array_agg(b.minimum_quantity::bigint ORDER BY b.minimum_quantity) AS quantities, \
               array_agg(b.unit_price_vnd ORDER BY b.minimum_quantity) AS prices \
             FROM contract_price_break b WHERE b.contract_id = c.id) br ON true \
         LEFT JOIN LATERAL (SELECT array_agg(l.location_id) AS locations, \
               array_agg(loc.code) AS codes, array_agg(l.on_hand) AS on_hand, \
               array_agg(l.reserved) AS reserved \
             FROM inventory_level l JOIN location loc ON loc.id = l.location_id \
             WHERE l.product_id = p.id) lv ON true"
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let mut lead = Lead {
        replay: None,
        store_partner: None,
        products: Vec::with_capacity(rows.len()),
        offers: HashMap::new(),
        levels: HashMap::new(),
    };
    for row in &rows {
        lead.replay = match row.try_get::<Option<i64>>("", "lead_replay_id")? {
            Some(id) => Some((id, row.try_get::<String>("", "lead_replay_hash")?)),
            None => None,
        };
        lead.store_partner = row.try_get("", "lead_store_partner")?;
        if row.try_get::<Option<i64>>("", "id")?.is_none() {
            continue;
        }
        let product = product::Model::from_query_result(row, "")?;
        if let Some(offer) = contract_offer(row)? {
            lead.offers.insert(product.id, offer);
        }
        lead.levels.insert(product.id, levels(row)?);
        lead.products.push(product);
    }
    Ok(lead)
}

fn contract_offer(row: &QueryResult) -> AppResult<Option<Offer>> {
    let Some(id) = row.try_get::<Option<i64>>("", "lead_contract_id")? else {
        return Ok(None);
    };
    let quantities: Vec<i64> = row
        .try_get::<Option<Vec<i64>>>("", "lead_break_quantities")?
        .unwrap_or_default();
    let prices: Vec<i64> = row
        .try_get::<Option<Vec<i64>>>("", "lead_break_prices")?
        .unwrap_or_default();
    Ok(Some(Offer {
        unit_price: row.try_get("", "lead_contract_price")?,
        minimum_quantity: i64::from(row.try_get::<i32>("", "lead_contract_minimum")?),
        quantity_increment: i64::from(row.try_get::<i32>("", "lead_contract_increment")?),
        price_breaks: quantities
            .into_iter()
            .zip(prices)
            .map(|(minimum_quantity, unit_price)| PriceBreak {
                minimum_quantity,
                unit_price,
            })
            .collect(),
        contract_id: Some(id),
    }))
}

fn levels(row: &QueryResult) -> AppResult<Vec<StockRow>> {
    let array = |name: &str| -> AppResult<Vec<i64>> {
        Ok(row
            .try_get::<Option<Vec<i64>>>("", name)?
            .unwrap_or_default())
    };
    let codes: Vec<String> = row
        .try_get::<Option<Vec<String>>>("", "lead_codes")?
        .unwrap_or_default();
    Ok(array("lead_locations")?
        .into_iter()
        .zip(codes)
        .zip(
            array("lead_on_hand")?
                .into_iter()
                .zip(array("lead_reserved")?),
        )
        .map(
            |((location_id, location_code), (on_hand, reserved))| StockRow {
                location_id,
                location_code,
                on_hand,
                reserved,
            },
        )
        .collect())
}
