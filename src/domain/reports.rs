//! Reports for dashboards: sales, fulfilment and low stock.
//!
//! Days, weeks and months are local to Asia/Ho_Chi_Minh (UTC+7, the
//! business day of every partner): an order placed at 23:30 UTC belongs to
//! the next local day. A retail partner sees only its own orders; the
//! operator sees all, or one partner's.
//!
//! The numbers are computed from the orders themselves with indexed
//! queries (by creation time, and by partner and creation time), not from
//! a rollup: a daily rollup per (day, partner, product, location) would
//! hold about as many rows as the order lines it sums at national scale
//! (16,000 products × 200 chains rarely repeat a key within a day), so it
//! would not be faster, and it could drift. BENCHMARKS.md has the timings.
//!
//! What counts: sales are the lines of orders that are not cancelled, by
//! the day they were placed; a line counts its accepted units once it is
//! acknowledged (its ordered units before), at the price it was charged.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use entity::enums::{Category, OrderStatus};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};

use crate::auth::Viewer;
use crate::domain::clock::BUSINESS_UTC_OFFSET_HOURS;
use crate::error::{AppError, AppResult};

/// Longest window a report covers.
pub const MAX_DAYS: i64 = 400;
/// The window `lowStock` measures daily sales over.
pub const SALES_WINDOW_DAYS: i64 = 28;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesGroupBy {
    Day,
    Week,
    Month,
    Product,
    Category,
    Province,
    Partner,
    Location,
    /// The ship-to store (a chain's branches).
    Store,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesRow {
    /// Stable and machine-readable: `2026-11-23`, `2026-W48`, `2026-11`, a
    /// SKU, a category, a folded province, a partner or location code.
    pub key: String,
    /// For people, with diacritics.
    pub label: String,
    pub orders: i64,
    pub units: i64,
    pub revenue: i64,
}

/// A window of local business days, both ends included.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    pub fn new(from: NaiveDate, to: NaiveDate) -> AppResult<Window> {
        if from > to {
            return Err(AppError::bad_field("from", "`from` is after `to`"));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(AppError::bad_field(
                "to",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(Window { from, to })
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The UTC instants of the window's first local midnight and of the
    /// local midnight after its last day.
    fn utc_bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = |d: NaiveDate| {
            Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))
                - chrono::Duration::hours(BUSINESS_UTC_OFFSET_HOURS)
        };
        let after = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (start(self.from), start(after))
    }
}

/// Whose orders a report covers: the caller's own, or for the operator
/// everyone's or the partner it names.
pub fn scope(viewer: &Viewer, partner_id: Option<i64>) -> AppResult<Option<i64>> {
    match (viewer.is_operator(), partner_id) {
        (true, p) => Ok(p),
        (false, None) => Ok(Some(viewer.partner_id())),
        (false, Some(p)) if p == viewer.partner_id() => Ok(Some(p)),
        (false, Some(_)) => Err(AppError::Forbidden(
            "only the operator reports on another partner".into(),
        )),
    }
}

fn local_day_sql(backend: DatabaseBackend) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "to_char((o.created_at AT TIME ZONE 'UTC') + interval '{BUSINESS_UTC_OFFSET_HOURS} hours', 'YYYY-MM-DD')"
        ),
        _ => format!("date(o.created_at, '+{BUSINESS_UTC_OFFSET_HOURS} hours')"),
    }
}

/// `WHERE` for orders of the window (and partner), not cancelled.
fn order_filter(partner: Option<i64>, values: &mut Vec<Value>, window: &Window) -> String {
    let (start, end) = window.utc_bounds();
    values.push(start.into());
    values.push(end.into());
    values.push(OrderStatus::Cancelled.to_value().into());
    let mut sql = "o.created_at >= $1 AND o.created_at < $2 AND o.status <> $3".to_owned();
    if let Some(p) = partner {
        values.push(p.into());
        sql.push_str(" AND o.partner_id = $4");
    }
    sql
}

/// Units a line counts: accepted once acknowledged, ordered before.
const UNITS: &str = "COALESCE(l.accepted_quantity, l.quantity)";

/// Sales in `window`, grouped.
pub async fn sales(
    db: &DatabaseConnection,
    window: Window,
    group_by: SalesGroupBy,
    partner: Option<i64>,
) -> AppResult<Vec<SalesRow>> {
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let filter = order_filter(partner, &mut values, &window);
    let day = local_day_sql(backend);
    let (key, label, from) = match group_by {
        SalesGroupBy::Day | SalesGroupBy::Week | SalesGroupBy::Month => (
            day.clone(),
            day,
            "order_line l JOIN purchase_order o ON o.id = l.order_id".to_owned(),
        ),
        SalesGroupBy::Product => (
            "p.sku".into(),
            "MIN(p.name_vi)".into(),
            "order_line l JOIN purchase_order o ON o.id = l.order_id JOIN product p ON p.id = l.product_id".into(),
        ),
        SalesGroupBy::Category => (
            "p.category".into(),
            "p.category".into(),
            "order_line l JOIN purchase_order o ON o.id = l.order_id JOIN product p ON p.id = l.product_id".into(),
        ),
        SalesGroupBy::Province => (
            "pr.province_key".into(),
            "MIN(pr.province)".into(),
            "order_line l JOIN purchase_order o ON o.id = l.order_id JOIN product p ON p.id = l.product_id JOIN producer pr ON pr.id = p.producer_id".into(),
        ),
        SalesGroupBy::Store => (
            // Store codes are unique per partner; the key carries both.
            "pa.code || '/' || st.code".into(),
            "MIN(st.name)".into(),
            "order_line l JOIN purchase_order o ON o.id = l.order_id JOIN store st ON st.id = o.store_id JOIN partner pa ON pa.id = st.partner_id".into(),
        ),
        SalesGroupBy::Partner => (
            "pa.code".into(),
            "MIN(pa.name)".into(),
            "order_line l JOIN purchase_order o ON o.id = l.order_id JOIN partner pa ON pa.id = o.partner_id".into(),
        ),
        SalesGroupBy::Location => {
            return sales_by_location(db, &filter, values).await;
        }
    };
    let sql = format!(
        "SELECT {key} AS k, {label} AS label, COUNT(DISTINCT o.id) AS orders,
                CAST(SUM({UNITS}) AS BIGINT) AS units,
                CAST(SUM({UNITS} * l.unit_price_vnd) AS BIGINT) AS revenue
         FROM {from} WHERE {filter} GROUP BY {key}"
    );
    let rows = read_rows(db, sql, values).await?;
    Ok(match group_by {
        SalesGroupBy::Day => by_period(rows, |d| (d.to_string(), d.format("%d/%m/%Y").to_string())),
        SalesGroupBy::Week => by_period(rows, |d| {
            let w = d.iso_week();
            (
                format!("{}-W{:02}", w.year(), w.week()),
                format!("Tuần {} năm {}", w.week(), w.year()),
            )
        }),
        SalesGroupBy::Month => by_period(rows, |d| {
            (
                format!("{}-{:02}", d.year(), d.month()),
                format!("Tháng {}/{}", d.month(), d.year()),
            )
        }),
        SalesGroupBy::Category => by_revenue(
            rows.into_iter()
                .map(|mut r| {
                    let category = Category::try_from_value(&r.key).ok();
                    r.key = r.key.to_uppercase();
                    r.label = category.map(category_label).unwrap_or_default().to_owned();
                    r
                })
                .collect(),
        ),
        _ => by_revenue(rows),
    })
}

/// Units and revenue by the location each line's units were reserved at.
async fn sales_by_location(
    db: &DatabaseConnection,
    filter: &str,
    values: Vec<Value>,
) -> AppResult<Vec<SalesRow>> {
    let sql = format!(
        "SELECT loc.code AS k, MIN(loc.name) AS label, COUNT(DISTINCT o.id) AS orders,
                CAST(SUM(a.quantity - a.released) AS BIGINT) AS units,
                CAST(SUM((a.quantity - a.released) * l.unit_price_vnd) AS BIGINT) AS revenue
         FROM order_allocation a
         JOIN order_line l ON l.id = a.order_line_id
         JOIN purchase_order o ON o.id = a.order_id
         JOIN location loc ON loc.id = a.location_id
         WHERE {filter} GROUP BY loc.code"
    );
    Ok(by_revenue(read_rows(db, sql, values).await?))
}

async fn read_rows(
    db: &DatabaseConnection,
    sql: String,
    values: Vec<Value>,
) -> AppResult<Vec<SalesRow>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        out.push(SalesRow {
            key: row.try_get("", "k")?,
            label: row.try_get("", "label")?,
            orders: row.try_get("", "orders")?,
            units: row.try_get::<Option<i64>>("", "units")?.unwrap_or(0),
            revenue: row.try_get::<Option<i64>>("", "revenue")?.unwrap_or(0),
        });
    }
    Ok(out)
}

/// Folds day rows into periods (an order belongs to one day, so orders add
/// up), oldest first.
fn by_period(rows: Vec<SalesRow>, period: impl Fn(NaiveDate) -> (String, String)) -> Vec<SalesRow> {
    let mut out: BTreeMap<String, SalesRow> = BTreeMap::new();
    for r in rows {
        let Ok(day) = NaiveDate::parse_from_str(&r.key, "%Y-%m-%d") else {
            continue;
        };
        let (key, label) = period(day);
        let entry = out.entry(key.clone()).or_insert(SalesRow {
            key,
            label,
            orders: 0,
            units: 0,
            revenue: 0,
        });
        entry.orders += r.orders;
        entry.units += r.units;
        entry.revenue += r.revenue;
    }
    out.into_values().collect()
}

fn by_revenue(mut rows: Vec<SalesRow>) -> Vec<SalesRow> {
    rows.sort_by(|a, b| b.revenue.cmp(&a.revenue).then_with(|| a.key.cmp(&b.key)));
    rows
}

pub fn category_label(c: Category) -> &'static str {
    match c {
        Category::Food => "Thực phẩm",
        Category::Beverages => "Đồ uống",
        Category::HerbalProducts => "Thảo dược",
        Category::TextilesGarments => "Vải và may mặc",
        Category::HandicraftsSouvenirs => "Thủ công mỹ nghệ và quà lưu niệm",
        Category::RuralTourism => "Dịch vụ du lịch nông thôn",
    }
}

/// p50 and p90 of a set of durations, in hours.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

fn percentiles(mut hours: Vec<f64>) -> Percentiles {
    if hours.is_empty() {
        return Percentiles::default();
    }
    hours.sort_by(f64::total_cmp);
    // Nearest rank.
    let at = |q: f64| {
        let rank = ((q * hours.len() as f64).ceil() as usize).clamp(1, hours.len());
        (hours[rank - 1] * 10.0).round() / 10.0
    };
    Percentiles {
        p50: Some(at(0.5)),
        p90: Some(at(0.9)),
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fulfillment {
    pub orders: i64,
    pub units_ordered: i64,
    pub units_accepted: i64,
    pub units_shipped: i64,
    pub units_delivered: i64,
    /// Units shipped (or delivered) over units ordered.
    pub fill_rate: Option<f64>,
    /// Lines shipped in full over lines.
    pub line_fill_rate: Option<f64>,
    /// Delivered orders delivered on or before the requested date (local
    /// day) over delivered orders.
    pub on_time_rate: Option<f64>,
    pub cancel_rate: Option<f64>,
    pub placed_to_confirmed: Percentiles,
    pub placed_to_delivered: Percentiles,
}

/// Fulfilment of the orders placed in `window` (cancelled ones included:
/// they are the cancel rate).
pub async fn fulfillment(
    db: &DatabaseConnection,
    window: Window,
    partner: Option<i64>,
) -> AppResult<Fulfillment> {
    let backend = db.get_database_backend();
    let (start, end) = window.utc_bounds();
    let mut values: Vec<Value> = vec![start.into(), end.into()];
    let mut partner_sql = String::new();
    if let Some(p) = partner {
        values.push(p.into());
        partner_sql = " AND o.partner_id = $3".into();
    }
    let sql = format!(
        "SELECT o.id, o.status, o.created_at, o.requested_delivery_date,
                CAST(SUM(l.quantity) AS BIGINT) AS ordered,
                CAST(SUM(COALESCE(l.accepted_quantity, 0)) AS BIGINT) AS accepted,
                CAST(SUM(l.shipped_quantity) AS BIGINT) AS shipped,
                CAST(SUM(COALESCE(l.delivered_quantity, 0)) AS BIGINT) AS delivered,
                COUNT(*) AS lines,
                CAST(SUM(CASE WHEN l.shipped_quantity >= l.quantity THEN 1 ELSE 0 END) AS BIGINT) AS lines_filled,
                (SELECT MIN(e.created_at) FROM order_event e WHERE e.order_id = o.id AND e.to_status = '{confirmed}' AND e.from_status = '{placed}') AS confirmed_at,
                (SELECT MIN(e.created_at) FROM order_event e WHERE e.order_id = o.id AND e.to_status = '{delivered}') AS delivered_at
         FROM purchase_order o JOIN order_line l ON l.order_id = o.id
         WHERE o.created_at >= $1 AND o.created_at < $2{partner_sql}
         GROUP BY o.id, o.status, o.created_at, o.requested_delivery_date",
        confirmed = OrderStatus::Confirmed.to_value(),
        placed = OrderStatus::Placed.to_value(),
        delivered = OrderStatus::Delivered.to_value(),
    );
    let mut report = Fulfillment::default();
    let (mut lines, mut lines_filled, mut cancelled, mut delivered_orders, mut on_time) =
        (0i64, 0i64, 0i64, 0i64, 0i64);
    let (mut to_confirm, mut to_deliver) = (Vec::new(), Vec::new());
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        report.orders += 1;
        report.units_ordered += row.try_get::<i64>("", "ordered")?;
        report.units_accepted += row.try_get::<i64>("", "accepted")?;
        report.units_shipped += row.try_get::<i64>("", "shipped")?;
        report.units_delivered += row.try_get::<i64>("", "delivered")?;
        lines += row.try_get::<i64>("", "lines")?;
        lines_filled += row.try_get::<i64>("", "lines_filled")?;
        let status: String = row.try_get("", "status")?;
        if status == OrderStatus::Cancelled.to_value() {
            cancelled += 1;
        }
        let placed: DateTime<Utc> = row.try_get("", "created_at")?;
        let hours = |at: DateTime<Utc>| (at - placed).num_seconds() as f64 / 3600.0;
        if let Some(at) = row.try_get::<Option<DateTime<Utc>>>("", "confirmed_at")? {
            to_confirm.push(hours(at));
        }
        if let Some(at) = row.try_get::<Option<DateTime<Utc>>>("", "delivered_at")? {
            to_deliver.push(hours(at));
            delivered_orders += 1;
            let requested: NaiveDate = row.try_get("", "requested_delivery_date")?;
            let local_day = (at + chrono::Duration::hours(BUSINESS_UTC_OFFSET_HOURS)).date_naive();
            if local_day <= requested {
                on_time += 1;
            }
        }
    }
    let ratio =
        |n: i64, d: i64| (d > 0).then(|| ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0);
    report.fill_rate = ratio(report.units_shipped, report.units_ordered);
    report.line_fill_rate = ratio(lines_filled, lines);
    report.on_time_rate = ratio(on_time, delivered_orders);
    report.cancel_rate = ratio(cancelled, report.orders);
    report.placed_to_confirmed = percentiles(to_confirm);
    report.placed_to_delivered = percentiles(to_deliver);
    Ok(report)
}

#[derive(Clone, Debug, PartialEq)]
pub struct LowStockRow {
    pub product_id: i64,
    pub location_id: i64,
    pub available: i64,
    /// Units sold per day over the last 28 days (from this location).
    pub daily_units: f64,
    /// available / daily units; None when nothing sold.
    pub days_of_cover: Option<f64>,
}

/// Stock about to run out: per product and location, the rows with the
/// least cover first, those at or under `max_days_of_cover`. A row that
/// sold nothing has no cover figure and is listed only without a bound.
pub async fn low_stock(
    db: &DatabaseConnection,
    location_id: Option<i64>,
    max_days_of_cover: Option<i64>,
    limit: u64,
) -> AppResult<Vec<LowStockRow>> {
    let backend = db.get_database_backend();
    let since = Utc::now() - chrono::Duration::days(SALES_WINDOW_DAYS);
    let mut values: Vec<Value> = vec![since.into(), OrderStatus::Cancelled.to_value().into()];
    let mut location_sql = String::new();
    if let Some(l) = location_id {
        values.push(l.into());
        location_sql = " AND il.location_id = $3".into();
    }
    // Units sold from each level in the window: reserved for orders placed
    // since, less what was released.
    let sql = format!(
        "SELECT il.product_id, il.location_id, il.on_hand - il.reserved AS available,
                CAST(COALESCE(s.units, 0) AS BIGINT) AS sold
         FROM inventory_level il
         JOIN (SELECT a.product_id, a.location_id, SUM(a.quantity - a.released) AS units
               FROM order_allocation a JOIN purchase_order o ON o.id = a.order_id
               WHERE o.created_at >= $1 AND o.status <> $2
               GROUP BY a.product_id, a.location_id) s
           ON s.product_id = il.product_id AND s.location_id = il.location_id
         WHERE s.units > 0{location_sql}"
    );
    let mut rows = Vec::new();
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        let available: i64 = row.try_get("", "available")?;
        let sold: i64 = row.try_get("", "sold")?;
        let daily_units = sold as f64 / SALES_WINDOW_DAYS as f64;
        let days_of_cover =
            (daily_units > 0.0).then(|| ((available as f64 / daily_units) * 10.0).round() / 10.0);
        rows.push(LowStockRow {
            product_id: row.try_get("", "product_id")?,
            location_id: row.try_get("", "location_id")?,
            available,
            daily_units: (daily_units * 100.0).round() / 100.0,
            days_of_cover,
        });
    }
    rows.retain(|r| {
        max_days_of_cover.is_none_or(|max| r.days_of_cover.is_some_and(|d| d <= max as f64))
    });
    rows.sort_by(|a, b| {
        a.days_of_cover
            .unwrap_or(f64::MAX)
            .total_cmp(&b.days_of_cover.unwrap_or(f64::MAX))
            .then_with(|| (a.product_id, a.location_id).cmp(&(b.product_id, b.location_id)))
    });
    rows.truncate(limit as usize);
    Ok(rows)
}

/// The query cost of a sales report: by its window and its grouping.
pub fn sales_cost(window: &Window, group_by: SalesGroupBy) -> usize {
    let per_day = match group_by {
        SalesGroupBy::Day | SalesGroupBy::Week | SalesGroupBy::Month => 1,
        _ => 2,
    };
    10 + window.days() as usize * per_day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_local_days() {
        let w = Window::new(
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
            NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        )
        .expect("window");
        let (start, end) = w.utc_bounds();
        assert_eq!(start.to_rfc3339(), "2026-11-22T17:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-11-23T17:00:00+00:00");
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        assert!(Window::new(d(11, 2), d(11, 1)).is_err());
        assert!(Window::new(d(1, 1), d(12, 31)).is_ok());
        assert!(Window::new(NaiveDate::from_ymd_opt(2025, 1, 1).expect("d"), d(12, 31)).is_err());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let p = percentiles((1..=10).map(f64::from).collect());
        assert_eq!((p.p50, p.p90), (Some(5.0), Some(9.0)));
        assert_eq!(percentiles(Vec::new()), Percentiles::default());
    }
}
