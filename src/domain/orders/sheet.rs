//! A buyer's order sheet: lines of `storeCode, buyerReference,
//! requestedDeliveryDate, sku, quantity`, one order per (store,
//! reference), each placed through `place_order` itself (its quantity
//! rules, contract prices, stock and certificate checks) under an
//! idempotency key made of the store and the reference, so the same
//! sheet uploaded twice places nothing new.
//!
//! Orders are separate transactions, as in the API. `REJECT_EVERYTHING`
//! first tries every order (placed and rolled back), places them only if
//! all would go through, and cancels those it placed if one is refused
//! in between (stock taken by someone else meanwhile).

use std::collections::{BTreeMap, HashMap};

use entity::{product, store};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{NewOrder, Placed, cancel, place_order, try_order};
use crate::auth::{Scope, Viewer};
use crate::db::Db;
use crate::domain::catalog::Audience;
use crate::domain::sheet::{self, ErrorPolicy, RowError, Sheet};
use crate::error::{AppError, AppResult};
use crate::ids::{self, Kind};

pub const COLUMNS: &[&str] = &[
    "storeCode",
    "buyerReference",
    "requestedDeliveryDate",
    "sku",
    "quantity",
];

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub policy: ErrorPolicy,
    pub dry_run: bool,
}

/// One order of the sheet and what became of it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    pub store_code: String,
    pub buyer_reference: String,
    /// The sheet rows that made it.
    pub rows: Vec<usize>,
    /// `placed`, `alreadyPlaced` (an earlier upload placed it),
    /// `wouldPlace` (dry run), `notPlaced` (another order of the sheet
    /// failed under REJECT_EVERYTHING) or `failed`.
    pub action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_vnd: Option<i64>,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub rows: usize,
    pub placed: usize,
    pub already_placed: usize,
    pub failed: usize,
    pub committed: bool,
    pub dry_run: bool,
    pub errors: Vec<RowError>,
    pub orders: Vec<OrderResult>,
}

/// One (store, reference) of the sheet, as read.
struct Group {
    store_code: String,
    buyer_reference: String,
    date: Option<chrono::NaiveDate>,
    /// (sheet row, sku, quantity), in sheet order.
    lines: Vec<(usize, String, i64)>,
    errors: Vec<RowError>,
}

fn err(row: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The idempotency key of the order for this store and reference: the
/// same on every upload, and unlike any a client would choose.
fn key_of(store_code: &str, buyer_reference: &str) -> String {
    let digest = Sha256::digest(format!("{store_code}\u{1f}{buyer_reference}").as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("sheet:{hex}")
}

/// Places the orders of a sheet for `viewer` (`orders:write`).
pub async fn import(db: &Db, viewer: &Viewer, bytes: &[u8], options: Options) -> AppResult<Report> {
    viewer.require(Scope::OrdersWrite)?;
    let sheet = Sheet::read(bytes, COLUMNS, &[])?;
    for column in COLUMNS {
        if !sheet.has(column) {
            return Err(AppError::bad_field(
                *column,
                format!(
                    "the sheet needs the columns {}; `{column}` is missing",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut groups = read_groups(&sheet);
    let mut report = Report {
        rows: sheet.rows.len(),
        dry_run: options.dry_run,
        ..Report::default()
    };
    // What each order is, once its rows read: (group, input).
    let mut ready: Vec<(usize, NewOrder)> = Vec::new();
    let (stores, products) = lookups(db, viewer, &groups).await?;
    for (g, group) in groups.iter_mut().enumerate() {
        if let Some(input) = to_order(group, &stores, &products) {
            ready.push((g, input));
        }
    }
    let mut outcome: Vec<Option<(&'static str, Option<Placed>)>> =
        (0..groups.len()).map(|_| None).collect();
    let sheet_ok = groups.iter().all(|g| g.errors.is_empty());
    let trial = options.dry_run || options.policy == ErrorPolicy::RejectEverything;
    let mut all_would = sheet_ok;
    if trial {
        for (g, input) in &ready {
            match try_order(db, viewer, input.clone()).await {
                Ok(p) => {
                    outcome[*g] = Some((
                        if p.replayed {
                            "alreadyPlaced"
                        } else {
                            "wouldPlace"
                        },
                        Some(p),
                    ))
                }
                Err(e) => {
                    all_would = false;
                    refused(&mut groups[*g], e, &products)?;
                }
            }
        }
    }
    if !options.dry_run && (all_would || options.policy == ErrorPolicy::RejectFailedRows) {
        let mut placed_now: Vec<i64> = Vec::new();
        for (g, input) in &ready {
            if !groups[*g].errors.is_empty() {
                continue;
            }
            match place_order(db, viewer, input.clone()).await {
                Ok(p) => {
                    if !p.replayed {
                        placed_now.push(p.order.id);
                    }
                    outcome[*g] = Some((
                        if p.replayed {
                            "alreadyPlaced"
                        } else {
                            "placed"
                        },
                        Some(p),
                    ));
                }
                Err(e) => {
                    refused(&mut groups[*g], e, &products)?;
                    if options.policy == ErrorPolicy::RejectEverything {
                        // Taken from under us since the trial: undo this
                        // upload's orders so the sheet stays all or none.
                        for id in placed_now.drain(..) {
                            cancel(db, viewer, id, Some("order sheet refused: another of its orders could not be placed")).await?;
                        }
                        for o in outcome.iter_mut().flatten() {
                            if o.0 == "placed" {
                                o.0 = "notPlaced";
                            }
                        }
                        break;
                    }
                }
            }
        }
    }
    for (g, group) in groups.into_iter().enumerate() {
        let rows: Vec<usize> = group.lines.iter().map(|l| l.0).collect();
        let failed = !group.errors.is_empty();
        let (action, placed) = if failed {
            ("failed", None)
        } else {
            match outcome[g].take() {
                // Tried, but the sheet as a whole was refused.
                Some(("wouldPlace", _)) if !options.dry_run => ("notPlaced", None),
                Some((action, placed)) => (action, placed),
                None => ("notPlaced", None),
            }
        };
        match action {
            "placed" => report.placed += 1,
            "alreadyPlaced" => report.already_placed += 1,
            "failed" => report.failed += rows.len(),
            _ => {}
        }
        let shown = placed.filter(|p| action != "wouldPlace" || p.replayed);
        let total = match action {
            "placed" | "alreadyPlaced" => shown.as_ref().map(|p| p.order.total_vnd),
            _ => None,
        };
        report.errors.extend(group.errors);
        report.orders.push(OrderResult {
            store_code: group.store_code,
            buyer_reference: group.buyer_reference,
            rows,
            action,
            order_id: shown.as_ref().map(|p| ids::opaque(Kind::Order, p.order.id)),
            total_vnd: total,
        });
    }
    report.errors.sort_by_key(|e| e.row);
    report.committed = !options.dry_run && report.orders.iter().all(|o| o.action != "notPlaced");
    Ok(report)
}

/// Rows grouped into orders by (store, reference), in sheet order; each
/// cell that does not read is the row's error.
fn read_groups(sheet: &Sheet) -> Vec<Group> {
    let at = |c: &str| sheet.index(c);
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    for row in &sheet.rows {
        let n = row.number;
        let store_code = row.get(at("storeCode")).unwrap_or_default().to_owned();
        let reference = row.get(at("buyerReference")).unwrap_or_default().to_owned();
        let g = *by_key
            .entry((store_code.clone(), reference.clone()))
            .or_insert_with(|| {
                groups.push(Group {
                    store_code: store_code.clone(),
                    buyer_reference: reference.clone(),
                    date: None,
                    lines: Vec::new(),
                    errors: Vec::new(),
                });
                groups.len() - 1
            });
        let group = &mut groups[g];
        if store_code.is_empty() {
            group
                .errors
                .push(err(n, "storeCode", "every row needs its store's code"));
        }
        if reference.is_empty() {
            group.errors.push(err(
                n,
                "buyerReference",
                "every row needs the buyer's reference (your PO number)",
            ));
        }
        if row.stray {
            group
                .errors
                .push(err(n, "", "this row has cells beyond the header's columns"));
        }
        match row.get(at("requestedDeliveryDate")).map(sheet::date) {
            None => group.errors.push(err(
                n,
                "requestedDeliveryDate",
                "every row needs the delivery date",
            )),
            Some(Err(m)) => group.errors.push(err(n, "requestedDeliveryDate", m)),
            Some(Ok(d)) => match group.date {
                Some(first) if first != d => group.errors.push(err(
                    n,
                    "requestedDeliveryDate",
                    format!("one order has one delivery date; this order's first row says {first}"),
                )),
                _ => group.date = Some(d),
            },
        }
        let sku = row.get(at("sku")).unwrap_or_default().to_owned();
        if sku.is_empty() {
            group.errors.push(err(n, "sku", "every row needs a SKU"));
        }
        let quantity = match row.get(at("quantity")).map(sheet::whole_number) {
            None => {
                group
                    .errors
                    .push(err(n, "quantity", "every row needs a quantity"));
                0
            }
            Some(Err(m)) => {
                group.errors.push(err(n, "quantity", m));
                0
            }
            Some(Ok(q)) => q,
        };
        group.lines.push((n, sku, quantity));
    }
    groups
}

/// Stores by code (the caller's own) and products by SKU (those it may
/// see), for every row at once.
async fn lookups(
    db: &Db,
    viewer: &Viewer,
    groups: &[Group],
) -> AppResult<(HashMap<String, i64>, HashMap<String, i64>)> {
    let conn: &DatabaseConnection = db;
    let mut codes: Vec<&str> = groups.iter().map(|g| g.store_code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut stores = HashMap::new();
    for chunk in codes.chunks(500) {
        for s in store::Entity::find()
            .filter(store::Column::PartnerId.eq(viewer.partner_id()))
            .filter(store::Column::Code.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            stores.insert(s.code, s.id);
        }
    }
    let mut skus: Vec<&str> = groups
        .iter()
        .flat_map(|g| g.lines.iter().map(|l| l.1.as_str()))
        .collect();
    skus.sort_unstable();
    skus.dedup();
    let mut products = HashMap::new();
    for chunk in skus.chunks(500) {
        for p in product::Entity::find()
            .filter(product::Column::Sku.is_in(chunk.iter().copied()))
            .filter(Audience::of(viewer).condition())
            .all(conn)
            .await?
        {
            products.insert(p.sku, p.id);
        }
    }
    Ok((stores, products))
}

/// The order a group asks for, or None when one of its rows is wrong (the
/// errors are on the group).
fn to_order(
    group: &mut Group,
    stores: &HashMap<String, i64>,
    products: &HashMap<String, i64>,
) -> Option<NewOrder> {
    let first = group.lines.first().map_or(0, |l| l.0);
    let store = stores.get(&group.store_code).copied();
    if store.is_none() && !group.store_code.is_empty() {
        group.errors.push(err(
            first,
            "storeCode",
            format!("you have no store with the code `{}`", group.store_code),
        ));
    }
    let mut lines = Vec::with_capacity(group.lines.len());
    for (row, sku, quantity) in &group.lines {
        match products.get(sku) {
            Some(&id) => lines.push((id, *quantity)),
            None if !sku.is_empty() => group.errors.push(err(
                *row,
                "sku",
                format!("no product you may order has the SKU `{sku}`"),
            )),
            None => {}
        }
    }
    if !group.errors.is_empty() {
        return None;
    }
    Some(NewOrder {
        idempotency_key: key_of(&group.store_code, &group.buyer_reference),
        buyer_reference: group.buyer_reference.clone(),
        store_id: store?,
        requested_delivery_date: group.date?,
        lines,
    })
}

/// `place_order`'s refusal as errors on the rows it is about: a line's
/// product names its rows; anything else, the order's first row. A
/// failure of the database itself ends the upload.
fn refused(group: &mut Group, e: AppError, products: &HashMap<String, i64>) -> AppResult<()> {
    let first = group.lines.first().map_or(0, |l| l.0);
    // `place_order` numbers lines in product order after merging.
    let mut by_position: BTreeMap<i64, ()> = BTreeMap::new();
    for (_, sku, _) in &group.lines {
        if let Some(&id) = products.get(sku) {
            by_position.insert(id, ());
        }
    }
    let product_rows = |product: i64| -> Vec<usize> {
        group
            .lines
            .iter()
            .filter(|(_, sku, _)| products.get(sku) == Some(&product))
            .map(|l| l.0)
            .collect()
    };
    let (rows, field, message) = match e {
        AppError::BadUserInput { field, message, details } => {
            let field = field.unwrap_or_default();
            let named = details
                .iter()
                .find(|(k, _)| *k == "productId")
                .and_then(|(_, v)| v.as_str().map(str::to_owned))
                .and_then(|id| ids::decode(Kind::Product, &async_graphql::ID(id), "productId").ok());
            let line = field
                .strip_prefix("input.lines.")
                .and_then(|rest| rest.split('.').next())
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| by_position.keys().nth(n).copied());
            let rows = named.or(line).map(&product_rows).unwrap_or_else(|| vec![first]);
            let column = if field.ends_with(".quantity") {
                "quantity"
            } else if field.contains("lines") {
                "sku"
            } else if field.ends_with("requestedDeliveryDate") {
                "requestedDeliveryDate"
            } else if field.ends_with("buyerReference") {
                "buyerReference"
            } else if field.ends_with("storeId") {
                "storeCode"
            } else {
                ""
            };
            (rows, column, message)
        }
        AppError::InsufficientStock { message, product_id, .. } => {
            let product = product_id
                .and_then(|id| ids::decode(Kind::Product, &async_graphql::ID(id), "productId").ok());
            let rows = product.map(&product_rows).unwrap_or_else(|| vec![first]);
            (rows, "quantity", message)
        }
        AppError::Conflict(m) if m.contains("idempotency key") => (
            vec![first],
            "buyerReference",
            "an order for this store and buyerReference was placed before with other lines or another date; give a new order its own buyerReference".to_owned(),
        ),
        AppError::NotFound(m) | AppError::Conflict(m) | AppError::Forbidden(m) => {
            (vec![first], "", m)
        }
        other => return Err(other),
    };
    for row in rows {
        group.errors.push(err(row, field, message.clone()));
    }
    Ok(())
}
