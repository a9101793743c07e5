use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use crate::auth::Scope;
use crate::domain::reports::{self, SalesGroupBy as DomainGroupBy, Window};
use crate::error::AppError;
use crate::graphql::context::{db, loader, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::loader::{LocationLoader, ProductLoader};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::product::ProductNode;
use crate::graphql::scalars::{Date, Vnd};
use crate::ids::{self, Kind};

/// How `salesReport` groups its rows.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::reports::SalesGroupBy")]
pub enum SalesGroupBy {
    /// Local day: key `2026-11-23`.
    Day,
    /// ISO week of local days: key `2026-W48`.
    Week,
    /// Local month: key `2026-11`.
    Month,
    /// Key: the SKU.
    Product,
    /// Key: the category enum name (`FOOD`).
    Category,
    /// Of the producer; key: the province without diacritics, lower case.
    Province,
    /// Key: the partner code.
    Partner,
    /// Where the units were reserved; key: the location code.
    Location,
    /// The ship-to store; key: `partner code/store code` (`aeon-vn/AEON-LB`).
    Store,
}

/// One group of sales.
#[derive(SimpleObject)]
pub struct SalesRow {
    /// Stable and machine-readable (see `SalesGroupBy`).
    pub key: String,
    /// For people, in Vietnamese.
    pub label: String,
    /// Orders with at least one line in the group.
    pub orders: i64,
    pub units: i64,
    /// Exact, in đồng.
    pub revenue: Vnd,
}

/// Hours from placement, at the 50th and 90th percentile (nearest rank);
/// null when no order got that far.
#[derive(SimpleObject)]
pub struct LeadTime {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

#[derive(SimpleObject)]
pub struct LeadTimes {
    pub placed_to_confirmed: LeadTime,
    pub placed_to_delivered: LeadTime,
}

/// How well the orders placed in the window were filled.
#[derive(SimpleObject)]
pub struct FulfillmentReport {
    /// Orders placed in the window, cancelled ones included.
    pub orders: i64,
    pub units_ordered: i64,
    /// As acknowledged (`confirmOrder`).
    pub units_accepted: i64,
    pub units_shipped: i64,
    /// As received by the stores (`deliverOrder`; a shortfall lowers it).
    pub units_delivered: i64,
    /// Units shipped over units ordered.
    pub fill_rate: Option<f64>,
    /// Lines shipped in full over lines.
    pub line_fill_rate: Option<f64>,
    /// Of the delivered orders, those delivered on or before their
    /// requested day (local).
    pub on_time_rate: Option<f64>,
    /// Cancelled orders (including those with nothing accepted) over
    /// orders.
    pub cancel_rate: Option<f64>,
    pub lead_time_hours: LeadTimes,
}

/// A product at a location that is about to run out.
pub struct LowStockRow(reports::LowStockRow);

#[Object]
impl LowStockRow {
    async fn product(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let product = loader::<ProductLoader>(ctx)?
            .load_one(self.0.product_id)
            .await?;
        Ok(product.map(ProductNode))
    }
    async fn location(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<LocationNode>> {
        let location = loader::<LocationLoader>(ctx)?
            .load_one(self.0.location_id)
            .await?;
        Ok(location.map(|l| LocationNode(std::sync::Arc::new(l))))
    }
    /// On hand minus reserved, now.
    async fn available(&self) -> i64 {
        self.0.available
    }
    /// Units sold per day from this location over the last 28 days.
    async fn daily_units(&self) -> f64 {
        self.0.daily_units
    }
    /// available / dailyUnits; null when nothing sold.
    async fn days_of_cover(&self) -> Option<f64> {
        self.0.days_of_cover
    }
}

fn partner(id: Option<ID>) -> async_graphql::Result<Option<i64>> {
    Ok(id
        .map(|id| ids::decode(Kind::Partner, &id, "partnerId"))
        .transpose()?)
}

fn report_cost(from: &Date, to: &Date, per_day: usize) -> usize {
    cost::report(from.0, to.0, per_day)
}

#[derive(Default)]
pub struct ReportQuery;

/// Reports for dashboards (`reports:read`). A retail partner sees its own
/// orders; the operator sees every partner's, or one with `partnerId`.
/// Windows are local business days (Asia/Ho_Chi_Minh), both ends included,
/// at most 400 days.
#[Object]
impl ReportQuery {
    /// Sales (lines of orders not cancelled, by the day placed; accepted
    /// units once acknowledged) grouped by day, week, month, product,
    /// category, province, partner or location. Also as CSV:
    /// `GET /reports/sales.csv?from=&to=&groupBy=`.
    #[graphql(
        guard = "ScopeGuard(Scope::ReportsRead)",
        complexity = "report_cost(&from, &to, cost::SALES_PER_DAY) + child_complexity"
    )]
    async fn sales_report(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        group_by: SalesGroupBy,
        partner_id: Option<ID>,
        #[graphql(
            desc = "At most this many rows, 1 to 10,000: the largest revenue first, or for DAY, WEEK and MONTH the earliest periods. All rows when omitted (the CSV export always has them all)."
        )]
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<SalesRow>> {
        let window = Window::new(from.0, to.0)?;
        let first = match first {
            None => None,
            Some(n @ 1..=10_000) => Some(n as usize),
            Some(_) => {
                return Err(AppError::bad_field("first", "first must be 1 to 10,000").into());
            }
        };
        let scope = reports::scope(viewer(ctx)?, partner(partner_id)?)?;
        let rows = reports::sales(
            db(ctx)?,
            window,
            DomainGroupBy::from(group_by),
            scope,
            first,
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SalesRow {
                key: r.key,
                label: r.label,
                orders: r.orders,
                units: r.units,
                revenue: Vnd(r.revenue),
            })
            .collect())
    }

    /// Fill, on-time and cancel rates and lead times of the orders placed
    /// in the window.
    #[graphql(
        guard = "ScopeGuard(Scope::ReportsRead)",
        complexity = "report_cost(&from, &to, cost::FULFILLMENT_PER_DAY) + child_complexity"
    )]
    async fn fulfillment_report(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        partner_id: Option<ID>,
    ) -> async_graphql::Result<FulfillmentReport> {
        let window = Window::new(from.0, to.0)?;
        let scope = reports::scope(viewer(ctx)?, partner(partner_id)?)?;
        let r = reports::fulfillment(db(ctx)?, window, scope).await?;
        let lead = |p: reports::Percentiles| LeadTime {
            p50: p.p50,
            p90: p.p90,
        };
        Ok(FulfillmentReport {
            orders: r.orders,
            units_ordered: r.units_ordered,
            units_accepted: r.units_accepted,
            units_shipped: r.units_shipped,
            units_delivered: r.units_delivered,
            fill_rate: r.fill_rate,
            line_fill_rate: r.line_fill_rate,
            on_time_rate: r.on_time_rate,
            cancel_rate: r.cancel_rate,
            lead_time_hours: LeadTimes {
                placed_to_confirmed: lead(r.placed_to_confirmed),
                placed_to_delivered: lead(r.placed_to_delivered),
            },
        })
    }

    /// Stock about to run out, least cover first: per product and location
    /// that sold in the last 28 days, available units, daily units sold and
    /// days of cover, those at or under `maxDaysOfCover` (at most 200
    /// rows). Stock is shared; the daily units are your own orders' sales
    /// (the operator's: every partner's), never another chain's. Each
    /// replica computes it at most once every `REPORT_CACHE_MS` (5 s) for
    /// one caller's set of arguments.
    #[graphql(
        guard = "ScopeGuard(Scope::ReportsRead)",
        complexity = "cost::low_stock(child_complexity)"
    )]
    async fn low_stock(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
        max_days_of_cover: Option<i32>,
    ) -> async_graphql::Result<Vec<LowStockRow>> {
        let location = location_id
            .map(|id| ids::decode(Kind::Location, &id, "locationId"))
            .transpose()?;
        let cache = ctx
            .data::<reports::LowStockCache>()
            .map_err(|_| AppError::internal(std::io::Error::other("report cache missing")))?;
        // A chain's daily units are its own sales; the operator's, everyone's.
        let partner = reports::scope(viewer(ctx)?, None)?;
        let rows = cache
            .low_stock(
                db(ctx)?,
                partner,
                location,
                max_days_of_cover.map(i64::from),
                200,
            )
            .await?;
        Ok(rows.iter().cloned().map(LowStockRow).collect())
    }
}
