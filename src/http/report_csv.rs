//! `GET /reports/sales.csv?from=&to=&groupBy=&partnerId=`: `salesReport`
//! as a spreadsheet a buyer opens in Excel, with the same token, scope and
//! numbers. UTF-8 with a byte-order mark, so Vietnamese names open
//! correctly.

use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::auth::Scope;
use crate::domain::reports::{self, SalesGroupBy, Window};
use crate::error::AppError;
use crate::graphql::cost;
use crate::http::caller::authenticate;
use crate::http::state::AppState;
use crate::ids::{self, Kind};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesCsvQuery {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    partner_id: Option<String>,
}

fn date(v: Option<&str>, field: &str) -> Result<chrono::NaiveDate, AppError> {
    v.and_then(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .ok_or_else(|| AppError::bad_field(field, format!("`{field}` is a date, YYYY-MM-DD")))
}

fn group_by(v: Option<&str>) -> Result<SalesGroupBy, AppError> {
    Ok(match v.unwrap_or("DAY") {
        "DAY" => SalesGroupBy::Day,
        "WEEK" => SalesGroupBy::Week,
        "MONTH" => SalesGroupBy::Month,
        "PRODUCT" => SalesGroupBy::Product,
        "CATEGORY" => SalesGroupBy::Category,
        "PROVINCE" => SalesGroupBy::Province,
        "PARTNER" => SalesGroupBy::Partner,
        "LOCATION" => SalesGroupBy::Location,
        "STORE" => SalesGroupBy::Store,
        _ => {
            return Err(AppError::bad_field(
                "groupBy",
                "`groupBy` is DAY, WEEK, MONTH, PRODUCT, CATEGORY, PROVINCE, PARTNER, LOCATION or STORE",
            ));
        }
    })
}

/// A CSV field, quoted when it must be. A leading `=`, `+`, `-` or `@`
/// is prefixed with `'` so that a spreadsheet never runs it as a formula.
pub(crate) fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

pub async fn sales_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<SalesCsvQuery>,
) -> Response {
    match render(&state, &headers, query).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

async fn render(
    state: &AppState,
    headers: &HeaderMap,
    query: SalesCsvQuery,
) -> Result<Response, AppError> {
    let caller = authenticate(state, headers)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("a bearer token is required".into()))?;
    let viewer = caller.viewer();
    viewer.require(Scope::ReportsRead)?;
    let window = Window::new(
        date(query.from.as_deref(), "from")?,
        date(query.to.as_deref(), "to")?,
    )?;
    let group = group_by(query.group_by.as_deref())?;
    // Charged like `salesReport` selecting every column, which this is.
    caller
        .budget
        .spend(cost::report(window.from, window.to, cost::SALES_PER_DAY) + cost::SALES_ROW_FIELDS)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let partner = query
        .partner_id
        .map(|id| ids::decode(Kind::Partner, &async_graphql::ID(id), "partnerId"))
        .transpose()?;
    let scope = reports::scope(viewer, partner)?;
    let rows = reports::sales(&state.db, window, group, scope, None).await?;
    let mut out = String::from("\u{feff}key,label,orders,units,revenue_vnd\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            field(&r.key),
            field(&r.label),
            r.orders,
            r.units,
            r.revenue
        ));
    }
    let name = format!("sales-{}-{}.csv", window.from, window.to);
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(field("Gốm, Bát Tràng"), "\"Gốm, Bát Tràng\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("2026-W48"), "2026-W48");
    }
}
