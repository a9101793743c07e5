//! Reports for dashboards: sales, fulfilment and low stock.
//!
//! Days, weeks and months are local to Asia/Ho_Chi_Minh (UTC+7, the
//! business day of every partner): an order placed at 23:30 UTC belongs to
//! the next local day. A retail partner sees only its own orders; the
//! operator sees all, or one partner's.
//!
//! The numbers are read from daily rollups (`domain::rollup`), kept in
//! the same transaction as every order change and checked against the
//! orders by `ocop-gateway check`; a 90-day report of the whole country
//! sums tens of thousands of narrow rows instead of joining every order
//! line. BENCHMARKS.md has the timings.
//!
//! What counts: sales are the lines of orders that are not cancelled, by
//! the day they were placed; a line counts its accepted units once it is
//! acknowledged (its ordered units before), at the price it was charged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use entity::enums::Category;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, Statement, Value};

use crate::auth::Viewer;
use crate::domain::rollup::{self, dim};
use crate::domain::{clock, inventory, money};
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

/// `WHERE` on rollup rows of the window (and partner): local days as text.
fn rollup_filter(window: &Window, partner: Option<i64>, values: &mut Vec<Value>) -> String {
    values.push(window.from.format("%Y-%m-%d").to_string().into());
    values.push(window.to.format("%Y-%m-%d").to_string().into());
    let mut sql = "day >= $1 AND day <= $2".to_owned();
    if let Some(p) = partner {
        values.push(p.into());
        sql.push_str(" AND partner_id = $3");
    }
    sql
}

/// Sales in `window`, grouped, from `sales_rollup` (see `domain::rollup`).
pub async fn sales(
    db: &DatabaseConnection,
    window: Window,
    group_by: SalesGroupBy,
    partner: Option<i64>,
    first: Option<usize>,
) -> AppResult<Vec<SalesRow>> {
    let mut values = Vec::new();
    let filter = rollup_filter(&window, partner, &mut values);
    let sums = format!(
        "CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(units) AS BIGINT) AS units, \
         {} AS revenue",
        crate::db::sql::capped_sum(db.get_database_backend(), "revenue", money::MAX_VND)
    );
    // The top rows by revenue are chosen before they are named, so only
    // those are joined (periods are folded first, then cut, below).
    let top = match (group_by, first) {
        (SalesGroupBy::Day | SalesGroupBy::Week | SalesGroupBy::Month, _) | (_, None) => {
            String::new()
        }
        (_, Some(n)) => format!(" ORDER BY revenue DESC, g LIMIT {n}"),
    };
    // Sums one dimension's rows by `by`, then names the groups.
    let grouped = |dim: &str, by: &str, join: &str, key: &str, label: &str| {
        format!(
            "SELECT {key} AS k, {label} AS label, s.orders, s.units, s.revenue
             FROM (SELECT {by} AS g, {sums} FROM sales_rollup
                   WHERE dim = '{dim}' AND {filter} GROUP BY {by}{top}) s {join}"
        )
    };
    let by_id = |table: &str| format!("JOIN {table} ON {table}.id = CAST(s.g AS BIGINT)");
    let sql = match group_by {
        SalesGroupBy::Day | SalesGroupBy::Week | SalesGroupBy::Month => {
            grouped(dim::STORE, "day", "", "s.g", "s.g")
        }
        SalesGroupBy::Partner => grouped(
            dim::STORE,
            "partner_id",
            "JOIN partner ON partner.id = s.g",
            "partner.code",
            "partner.name",
        ),
        // Store codes are unique per partner; the key carries both.
        SalesGroupBy::Store => grouped(
            dim::STORE,
            "k",
            &format!("{} JOIN partner ON partner.id = store.partner_id", by_id("store")),
            "partner.code || '/' || store.code",
            "store.name",
        ),
        SalesGroupBy::Product => {
            grouped(dim::PRODUCT, "k", &by_id("product"), "product.sku", "product.name_vi")
        }
        SalesGroupBy::Category => grouped(dim::CATEGORY, "k", "", "s.g", "s.g"),
        SalesGroupBy::Province => grouped(
            dim::PROVINCE,
            "k",
            "JOIN (SELECT province_key, MIN(province) AS province FROM producer GROUP BY province_key) pr
               ON pr.province_key = s.g",
            "s.g",
            "pr.province",
        ),
        SalesGroupBy::Location => {
            grouped(dim::LOCATION, "k", &by_id("location"), "location.code", "location.name")
        }
    };
    let rows = read_rows(db, sql, values).await?;
    let mut rows = match group_by {
        SalesGroupBy::Day => {
            by_period(rows, |d| (d.to_string(), d.format("%d/%m/%Y").to_string()))?
        }
        SalesGroupBy::Week => by_period(rows, |d| {
            let w = d.iso_week();
            (
                format!("{}-W{:02}", w.year(), w.week()),
                format!("Tuần {} năm {}", w.week(), w.year()),
            )
        })?,
        SalesGroupBy::Month => by_period(rows, |d| {
            (
                format!("{}-{:02}", d.year(), d.month()),
                format!("Tháng {}/{}", d.month(), d.year()),
            )
        })?,
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
    };
    rows.truncate(first.unwrap_or(usize::MAX));
    Ok(rows)
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
        let units = row.try_get::<Option<i64>>("", "units")?.unwrap_or(0);
        let orders = row.try_get::<Option<i64>>("", "orders")?.unwrap_or(0);
        // A group whose orders were all cancelled keeps a row of zeros.
        if orders == 0 {
            continue;
        }
        out.push(SalesRow {
            key: row.try_get("", "k")?,
            label: row.try_get("", "label")?,
            orders,
            units,
            revenue: exact(row.try_get::<Option<i64>>("", "revenue")?.unwrap_or(0))?,
        });
    }
    Ok(out)
}

/// A report's amount, or BAD_USER_INPUT when it passes 2^53 - 1 đồng
/// (marked -1 by the SQL sum): no JSON client reads such a number exactly,
/// and a rounded revenue is worse than none.
fn exact(revenue: i64) -> AppResult<i64> {
    if (0..=money::MAX_VND).contains(&revenue) {
        Ok(revenue)
    } else {
        Err(AppError::bad_field(
            "to",
            "a revenue in this report passes 2^53-1 đồng, the most a JSON client reads exactly: report on a shorter window, one partner or finer groups",
        ))
    }
}

/// Folds day rows into periods (an order belongs to one day, so orders add
/// up), oldest first.
fn by_period(
    rows: Vec<SalesRow>,
    period: impl Fn(NaiveDate) -> (String, String),
) -> AppResult<Vec<SalesRow>> {
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
        entry.revenue = exact(money::plus(entry.revenue, r.revenue).unwrap_or(-1))?;
    }
    Ok(out.into_values().collect())
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

/// Nearest-rank percentiles of a histogram (hours → orders).
fn percentiles(histogram: &BTreeMap<i64, i64>) -> Percentiles {
    let total: i64 = histogram.values().sum();
    if total == 0 {
        return Percentiles::default();
    }
    let at = |q: f64| {
        let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
        let mut seen = 0;
        for (hours, n) in histogram {
            seen += n;
            if seen >= rank {
                return Some(*hours as f64);
            }
        }
        None
    };
    Percentiles {
        p50: at(0.5),
        p90: at(0.9),
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
/// they are the cancel rate), from `fulfillment_rollup`. Lead times are
/// read from its hourly histograms: whole hours, rounded down.
pub async fn fulfillment(
    db: &DatabaseConnection,
    window: Window,
    partner: Option<i64>,
) -> AppResult<Fulfillment> {
    let backend = db.get_database_backend();
    let mut values = Vec::new();
    let filter = rollup_filter(&window, partner, &mut values);
    let sql = format!(
        "SELECT confirm_hours, deliver_hours,
                CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(cancelled) AS BIGINT) AS cancelled,
                CAST(SUM(units_ordered) AS BIGINT) AS units_ordered,
                CAST(SUM(units_accepted) AS BIGINT) AS units_accepted,
                CAST(SUM(units_shipped) AS BIGINT) AS units_shipped,
                CAST(SUM(units_delivered) AS BIGINT) AS units_delivered,
                CAST(SUM(lines) AS BIGINT) AS lines, CAST(SUM(lines_filled) AS BIGINT) AS lines_filled,
                CAST(SUM(delivered) AS BIGINT) AS delivered, CAST(SUM(on_time) AS BIGINT) AS on_time
         FROM fulfillment_rollup WHERE {filter}
         GROUP BY confirm_hours, deliver_hours"
    );
    let mut report = Fulfillment::default();
    let (mut lines, mut lines_filled, mut cancelled, mut delivered_orders, mut on_time) =
        (0i64, 0i64, 0i64, 0i64, 0i64);
    let (mut to_confirm, mut to_deliver) = (BTreeMap::new(), BTreeMap::new());
    for row in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
    {
        let orders: i64 = row.try_get("", "orders")?;
        report.orders += orders;
        report.units_ordered += row.try_get::<i64>("", "units_ordered")?;
        report.units_accepted += row.try_get::<i64>("", "units_accepted")?;
        report.units_shipped += row.try_get::<i64>("", "units_shipped")?;
        report.units_delivered += row.try_get::<i64>("", "units_delivered")?;
        lines += row.try_get::<i64>("", "lines")?;
        lines_filled += row.try_get::<i64>("", "lines_filled")?;
        cancelled += row.try_get::<i64>("", "cancelled")?;
        delivered_orders += row.try_get::<i64>("", "delivered")?;
        on_time += row.try_get::<i64>("", "on_time")?;
        for (column, histogram) in [
            ("confirm_hours", &mut to_confirm),
            ("deliver_hours", &mut to_deliver),
        ] {
            let hours: i64 = row.try_get("", column)?;
            if hours >= 0 && orders > 0 {
                *histogram.entry(hours).or_insert(0i64) += orders;
            }
        }
    }
    let ratio =
        |n: i64, d: i64| (d > 0).then(|| ((n as f64 / d as f64) * 10_000.0).round() / 10_000.0);
    report.fill_rate = ratio(report.units_shipped, report.units_ordered);
    report.line_fill_rate = ratio(lines_filled, lines);
    report.on_time_rate = ratio(on_time, delivered_orders);
    report.cancel_rate = ratio(cancelled, report.orders);
    report.placed_to_confirmed = percentiles(&to_confirm);
    report.placed_to_delivered = percentiles(&to_deliver);
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
///
/// Daily units are the sales of `partner`'s own orders when given (a
/// chain's stock velocity is its own business, never another chain's), or
/// of every partner's (the operator).
pub async fn low_stock(
    db: &DatabaseConnection,
    partner: Option<i64>,
    location_id: Option<i64>,
    max_days_of_cover: Option<i64>,
    limit: u64,
) -> AppResult<Vec<LowStockRow>> {
    let backend = db.get_database_backend();
    // The last 28 local days, today included.
    let since = clock::business_today() - chrono::Duration::days(SALES_WINDOW_DAYS - 1);
    let since: Value = since.format("%Y-%m-%d").to_string().into();
    let (mut values, sales): (Vec<Value>, String) = match partner {
        None => (vec![since], "level_sales_rollup WHERE day >= $1".into()),
        Some(p) => (
            vec![p.into(), since],
            format!(
                "({}) own WHERE day >= {}",
                rollup::partner_level_sales_sql(backend),
                crate::db::sql::param(backend, 2)
            ),
        ),
    };
    let mut extra = String::new();
    if let Some(l) = location_id {
        values.push(l.into());
        extra.push_str(&format!(" AND il.location_id = ${}", values.len()));
    }
    if let Some(max) = max_days_of_cover {
        // Loose on purpose (cover is rounded below); the exact test follows.
        values.push((max.saturating_add(1)).into());
        extra.push_str(&format!(
            " AND {} * {SALES_WINDOW_DAYS} <= ${} * s.units",
            inventory::available_sql("il"),
            values.len()
        ));
    }
    let sql = format!(
        "SELECT il.product_id, il.location_id, {available} AS available,
                s.units AS sold
         FROM (SELECT product_id, location_id, CAST(SUM(units) AS BIGINT) AS units
               FROM {sales}
               GROUP BY product_id, location_id) s
         JOIN inventory_level il
           ON il.product_id = s.product_id AND il.location_id = s.location_id
         WHERE s.units > 0{extra}",
        available = inventory::available_sql("il"),
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

/// `lowStock` answers the same to every caller (stock is shared), so each
/// replica computes it at most once per `ttl` for one set of arguments;
/// callers that ask meanwhile, even concurrently, share that answer.
pub struct LowStockCache {
    ttl: std::time::Duration,
    entries: tokio::sync::Mutex<HashMap<LowStockKey, LowStockEntry>>,
}

type LowStockKey = (Option<i64>, Option<i64>, Option<i64>, u64, NaiveDate);
type LowStockEntry = (std::time::Instant, Arc<Vec<LowStockRow>>);

impl LowStockCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            entries: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub async fn low_stock(
        &self,
        db: &DatabaseConnection,
        partner: Option<i64>,
        location_id: Option<i64>,
        max_days_of_cover: Option<i64>,
        limit: u64,
    ) -> AppResult<Arc<Vec<LowStockRow>>> {
        if self.ttl.is_zero() {
            return Ok(Arc::new(
                low_stock(db, partner, location_id, max_days_of_cover, limit).await?,
            ));
        }
        let key = (
            partner,
            location_id,
            max_days_of_cover,
            limit,
            clock::business_today(),
        );
        // Held while computing: concurrent callers wait for one answer.
        let mut entries = self.entries.lock().await;
        let now = std::time::Instant::now();
        entries.retain(|_, (at, _)| now.duration_since(*at) < self.ttl);
        if let Some((_, rows)) = entries.get(&key) {
            return Ok(rows.clone());
        }
        let rows = Arc::new(low_stock(db, partner, location_id, max_days_of_cover, limit).await?);
        entries.insert(key, (std::time::Instant::now(), rows.clone()));
        Ok(rows)
    }
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
        assert_eq!(w.days(), 1);
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        assert!(Window::new(d(11, 2), d(11, 1)).is_err());
        assert!(Window::new(d(1, 1), d(12, 31)).is_ok());
        assert!(Window::new(NaiveDate::from_ymd_opt(2025, 1, 1).expect("d"), d(12, 31)).is_err());
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let p = percentiles(&(1..=10).map(|h| (h, 1)).collect());
        assert_eq!((p.p50, p.p90), (Some(5.0), Some(9.0)));
        // Weighted: 9 orders confirmed within the hour, one after 30 hours.
        let p = percentiles(&BTreeMap::from([(0, 9), (30, 1)]));
        assert_eq!((p.p50, p.p90), (Some(0.0), Some(0.0)));
        assert_eq!(percentiles(&BTreeMap::new()), Percentiles::default());
    }
}
