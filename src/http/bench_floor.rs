//! FLOOR of the load benchmark (BENCHMARKS.md): the stock lookup of one
//! product (workload W2: its levels at every location, and their sum)
//! served by a bare axum handler over the same pool and the same domain
//! queries, with no GraphQL and no authentication. Its requests/s is the
//! most this stack can do on a machine, and the gap to W2 is what GraphQL
//! and auth cost. Mounted only
//! when `BENCH_FLOOR=true`; never in production.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::domain::catalog;
use crate::http::state::AppState;
use crate::ids::{self, Kind};

pub fn routes() -> Router<AppState> {
    Router::new().route("/floor/stock/{id}", get(stock))
}

async fn stock(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = ids::decode(Kind::Product, &id.into(), "id") else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let found = async {
        let product = catalog::product_by_id(&state.db, id).await?;
        let ids = [product.id];
        let (mut stock, available) = futures_util::future::try_join(
            catalog::stock_by_product(&state.db, &state.locations, &ids),
            catalog::available_by_product(&state.db, &ids),
        )
        .await?;
        Ok::<_, crate::error::AppError>((
            stock.remove(&product.id).unwrap_or_default(),
            available.get(&product.id).copied().unwrap_or(0),
        ))
    }
    .await;
    match found {
        Ok((levels, available)) => {
            let stock: Vec<_> = levels
                .iter()
                .map(|l| json!({ "location": { "code": l.location.code }, "available": l.available() }))
                .collect();
            axum::Json(json!({ "data": { "product": { "available": available, "stock": stock } } }))
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
