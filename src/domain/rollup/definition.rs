//! What each rollup is: its table, key and counter columns, and the
//! `SELECT` of what a set of orders contributes to it. The live path, the
//! rebuild and the check all run these statements (see `super`).

use entity::enums::OrderStatus;
use sea_orm::{ActiveEnum, DatabaseBackend, Value};

use crate::db::sql;
use crate::domain::clock::BUSINESS_UTC_OFFSET_HOURS;

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Int,
    Text,
}

pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) keys: &'static [(&'static str, Kind)],
    pub(super) counters: &'static [&'static str],
    /// What a set of orders contributes: the definition of the rollup.
    pub(super) select: fn(DatabaseBackend, &Filter) -> String,
}

const SALES: Table = Table {
    name: "sales_rollup",
    keys: &[
        ("dim", Kind::Text),
        ("day", Kind::Text),
        ("partner_id", Kind::Int),
        ("k", Kind::Text),
    ],
    counters: &["orders", "units", "revenue"],
    select: sales_sql,
};

const LEVEL_SALES: Table = Table {
    name: "level_sales_rollup",
    keys: &[
        ("day", Kind::Text),
        ("product_id", Kind::Int),
        ("location_id", Kind::Int),
    ],
    counters: &["units"],
    select: level_sales_sql,
};

const FULFILLMENT: Table = Table {
    name: "fulfillment_rollup",
    keys: &[
        ("day", Kind::Text),
        ("partner_id", Kind::Int),
        ("confirm_hours", Kind::Int),
        ("deliver_hours", Kind::Int),
    ],
    counters: &[
        "orders",
        "cancelled",
        "units_ordered",
        "units_accepted",
        "units_shipped",
        "units_delivered",
        "lines",
        "lines_filled",
        "delivered",
        "on_time",
    ],
    select: fulfillment_sql,
};

pub(super) const TABLES: [&Table; 3] = [&SALES, &LEVEL_SALES, &FULFILLMENT];

/// The `sales_rollup.dim` values.
pub mod dim {
    pub const STORE: &str = "store";
    pub const PRODUCT: &str = "product";
    pub const CATEGORY: &str = "category";
    pub const PROVINCE: &str = "province";
    pub const LOCATION: &str = "location";
}

/// Which orders a contribution covers.
pub(super) enum Filter {
    All,
    Order(i64),
    /// One partner's orders (its id is the statement's first parameter).
    Partner,
}

impl Filter {
    /// A condition on `column`. One order's is its only parameter, so the
    /// statement's text is the same for every order and stays prepared.
    pub(super) fn on(&self, backend: DatabaseBackend, column: &str) -> String {
        match self {
            Filter::All => "1 = 1".into(),
            Filter::Order(_) => format!("{column} = {}", sql::param(backend, 1)),
            // Applied to the order itself, in `sales_ctes`.
            Filter::Partner => "1 = 1".into(),
        }
    }

    pub(super) fn values(&self) -> Vec<Value> {
        match self {
            Filter::All | Filter::Partner => Vec::new(),
            Filter::Order(id) => vec![(*id).into()],
        }
    }
}

/// A timestamp's local business day, as `YYYY-MM-DD` text.
pub fn local_day(backend: DatabaseBackend, column: &str) -> String {
    sql::local_day(backend, column, BUSINESS_UTC_OFFSET_HOURS)
}

fn local_date_le(backend: DatabaseBackend, at: &str, date_column: &str) -> String {
    sql::local_date_le(backend, at, date_column, BUSINESS_UTC_OFFSET_HOURS)
}

/// Whole hours from `from` to `to`, rounded down; -1 when `to` is null.
fn whole_hours(backend: DatabaseBackend, from: &str, to: &str) -> String {
    let hours = sql::hours_between(backend, from, to);
    format!("CAST(COALESCE({hours}, -1) AS BIGINT)")
}

fn cancelled() -> String {
    format!("'{}'", OrderStatus::Cancelled.to_value())
}

/// Sales lines (`sl`) and the units reserved per location (`sa`) of the
/// orders not cancelled: a line counts its accepted units once
/// acknowledged (its ordered units before), a location what it still
/// holds or shipped.
fn sales_ctes(backend: DatabaseBackend, filter: &Filter) -> String {
    let day = local_day(backend, "o.created_at");
    let cancelled = cancelled();
    format!(
        "WITH sl AS (
            SELECT o.id AS order_id, {day} AS day, o.partner_id, o.store_id, l.product_id,
                   COALESCE(l.accepted_quantity, l.quantity) AS units, l.unit_price_vnd AS price
            FROM order_line l JOIN purchase_order o ON o.id = l.order_id
            WHERE o.status <> {cancelled} AND {lf} AND {of}),
         sa AS (
            SELECT o.id AS order_id, {day} AS day, o.partner_id, a.product_id, a.location_id,
                   a.quantity - a.released AS units, l.unit_price_vnd AS price
            FROM order_allocation a
            JOIN order_line l ON l.id = a.order_line_id
            JOIN purchase_order o ON o.id = a.order_id
            WHERE o.status <> {cancelled} AND {af} AND {of})",
        lf = filter.on(backend, "l.order_id"),
        af = filter.on(backend, "a.order_id"),
        of = match filter {
            Filter::Partner => format!("o.partner_id = {}", sql::param(backend, 1)),
            _ => filter.on(backend, "o.id"),
        },
    )
}

fn sales_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    let sums = "COUNT(DISTINCT order_id) AS orders, CAST(SUM(units) AS BIGINT) AS units, \
                CAST(SUM(units * price) AS BIGINT) AS revenue";
    let group = |dim: &str, key: &str, from: &str, by: &str| {
        format!(
            "SELECT '{dim}' AS dim, day, partner_id, CAST({key} AS TEXT) AS k, {sums}
             FROM {from} GROUP BY day, partner_id, {by}"
        )
    };
    format!(
        "{ctes}
        {store} UNION ALL {product} UNION ALL {category} UNION ALL {province} UNION ALL {location}",
        ctes = sales_ctes(backend, filter),
        store = group(dim::STORE, "store_id", "sl", "store_id"),
        product = group(dim::PRODUCT, "product_id", "sl", "product_id"),
        category = group(
            dim::CATEGORY,
            "p.category",
            "sl JOIN product p ON p.id = sl.product_id",
            "p.category"
        ),
        province = group(
            dim::PROVINCE,
            "pr.province_key",
            "sl JOIN product p ON p.id = sl.product_id JOIN producer pr ON pr.id = p.producer_id",
            "pr.province_key"
        ),
        location = group(dim::LOCATION, "location_id", "sa", "location_id"),
    )
}

fn level_sales_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    format!(
        "{ctes}
        SELECT day, product_id, location_id, CAST(SUM(units) AS BIGINT) AS units
        FROM sa GROUP BY day, product_id, location_id",
        ctes = sales_ctes(backend, filter)
    )
}

/// What one partner's orders sold per local day, product and location (the
/// rows `level_sales_rollup` holds for everyone), computed from the orders:
/// a chain's stock velocity is its own sales. The partner's id is the first
/// parameter.
pub fn partner_level_sales_sql(backend: DatabaseBackend) -> String {
    level_sales_sql(backend, &Filter::Partner)
}

fn fulfillment_sql(backend: DatabaseBackend, filter: &Filter) -> String {
    let day = local_day(backend, "o.created_at");
    let event = |to: OrderStatus, from: Option<OrderStatus>| {
        let from = from
            .map(|f| format!(" AND from_status = '{}'", f.to_value()))
            .unwrap_or_default();
        format!(
            "(SELECT order_id, MIN(created_at) AS at FROM order_event
              WHERE to_status = '{}'{from} AND {} GROUP BY order_id)",
            to.to_value(),
            filter.on(backend, "order_id")
        )
    };
    format!(
        "SELECT day, partner_id, confirm_hours, deliver_hours, COUNT(*) AS orders,
                CAST(SUM(cancelled) AS BIGINT) AS cancelled,
                CAST(SUM(ordered) AS BIGINT) AS units_ordered,
                CAST(SUM(accepted) AS BIGINT) AS units_accepted,
                CAST(SUM(shipped) AS BIGINT) AS units_shipped,
                CAST(SUM(delivered_units) AS BIGINT) AS units_delivered,
                CAST(SUM(lines) AS BIGINT) AS lines,
                CAST(SUM(lines_filled) AS BIGINT) AS lines_filled,
                CAST(SUM(delivered) AS BIGINT) AS delivered,
                CAST(SUM(on_time) AS BIGINT) AS on_time
         FROM (
            SELECT {day} AS day, o.partner_id,
                   {confirm_hours} AS confirm_hours, {deliver_hours} AS deliver_hours,
                   CASE WHEN o.status = {cancelled} THEN 1 ELSE 0 END AS cancelled,
                   SUM(l.quantity) AS ordered,
                   SUM(COALESCE(l.accepted_quantity, 0)) AS accepted,
                   SUM(l.shipped_quantity) AS shipped,
                   SUM(COALESCE(l.delivered_quantity, 0)) AS delivered_units,
                   COUNT(*) AS lines,
                   SUM(CASE WHEN l.shipped_quantity >= l.quantity THEN 1 ELSE 0 END) AS lines_filled,
                   CASE WHEN de.at IS NULL THEN 0 ELSE 1 END AS delivered,
                   CASE WHEN de.at IS NOT NULL AND {on_time} THEN 1 ELSE 0 END AS on_time
            FROM purchase_order o
            JOIN order_line l ON l.order_id = o.id
            LEFT JOIN {confirmed} ce ON ce.order_id = o.id
            LEFT JOIN {delivered} de ON de.order_id = o.id
            WHERE {of} AND {lf}
            GROUP BY o.id, o.partner_id, o.created_at, o.status, o.requested_delivery_date, ce.at, de.at
         ) fo
         GROUP BY day, partner_id, confirm_hours, deliver_hours",
        confirm_hours = whole_hours(backend, "o.created_at", "ce.at"),
        deliver_hours = whole_hours(backend, "o.created_at", "de.at"),
        cancelled = cancelled(),
        on_time = local_date_le(backend, "de.at", "o.requested_delivery_date"),
        confirmed = event(OrderStatus::Confirmed, Some(OrderStatus::Placed)),
        delivered = event(OrderStatus::Delivered, None),
        of = filter.on(backend, "o.id"),
        lf = filter.on(backend, "l.order_id"),
    )
}
