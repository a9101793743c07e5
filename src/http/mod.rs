//! The HTTP surface, every transport of the gateway: `/graphql` (see
//! `graphql`), `/graphql/ws` (`ws`), the console, the CSV report, the
//! bulk sheets and exports (`bulk`), health,
//! readiness and metrics, behind request ids, tracing, timeouts and a body size limit.

mod assets;
pub mod bench_floor;
mod bulk;
pub mod cache;
pub mod caller;
pub mod client_addr;
pub mod console;
mod graphiql;
mod graphql;
mod media;
mod media_type;
mod origin;
pub mod report_csv;
pub mod state;
pub mod ws;
pub mod ws_limits;

use std::any::Any;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::AppError;
use crate::http::state::AppState;

pub fn build_app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config.request_timeout_ms);
    let body_limit = state.config.max_body_bytes;
    let mut router = Router::new();
    if state.config.bench_floor {
        router = router.merge(bench_floor::routes());
    }
    if state.config.metrics_addr.is_none() {
        router = router.route("/metrics", get(metrics));
    }
    router
        .merge(console::routes())
        .merge(origin::routes())
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::handler))
        .route("/graphql/assets/{version}/{name}", get(graphiql::asset))
        .route("/reports/sales.csv", get(report_csv::sales_csv))
        .route(
            "/catalog/import",
            axum::routing::post(bulk::catalog_import)
                .layer(DefaultBodyLimit::max(crate::domain::sheet::MAX_BYTES)),
        )
        .route("/catalog/import/template.csv", get(bulk::template))
        .route("/catalog/export.jsonl", get(bulk::export_jsonl))
        .route("/catalog/export.csv", get(bulk::export_csv))
        .route(
            "/orders/import",
            axum::routing::post(bulk::orders_import)
                .layer(DefaultBodyLimit::max(crate::domain::sheet::MAX_BYTES)),
        )
        .route(
            "/media",
            axum::routing::post(media::upload)
                // An image may be larger than any GraphQL body; 1 byte over
                // the limit is the 413 the domain never has to read.
                .layer(DefaultBodyLimit::max(crate::media::MAX_BYTES + 1)),
        )
        .route("/media/{id}", get(media::serve))
        .route("/media/{id}/{side}", get(media::serve_phone))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .layer(middleware::from_fn_with_state(
            state.config.clock_shift(),
            shifted_clock,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(plain_request_id))
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let request_id = req
                                .headers()
                                .get("x-request-id")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("-");
                            tracing::info_span!(
                                "request",
                                method = %req.method(),
                                path = %req.uri().path(),
                                request_id = %request_id,
                            )
                        })
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(LatencyUnit::Millis),
                        ),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(CatchPanicLayer::custom(|panic: Box<dyn Any + Send>| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    AppError::internal(std::io::Error::other(format!("handler panicked: {what}")))
                        .into_response()
                }))
                .layer(middleware::from_fn_with_state(timeout, time_limit)),
        )
        .with_state(state)
}

/// A client's `x-request-id` is kept only when short and plain (letters,
/// digits, `-`, `_`, `.`; at most 64): anything else is dropped and a fresh
/// id is made, so nobody can forge or garble our log lines with it.
async fn plain_request_id(mut req: Request, next: Next) -> Response {
    let plain = |v: &HeaderValue| {
        let b = v.as_bytes();
        !b.is_empty()
            && b.len() <= 64
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    if req.headers().get("x-request-id").is_some_and(|v| !plain(v)) {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

/// Stops a request that runs past `REQUEST_TIMEOUT_MS`: its future is
/// dropped (an open transaction rolls back) and the client gets a coded
/// 503 with `Retry-After`.
async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let limit = if bulk::is_bulk_upload(req.uri().path()) {
        limit.max(bulk::BULK_TIMEOUT)
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout {
            after_ms: limit.as_millis() as u64,
        }
        .into_response(),
    }
}

/// Runs the request on the gateway's clock (`domain::clock`).
async fn shifted_clock(State(by): State<chrono::Duration>, req: Request, next: Next) -> Response {
    crate::domain::clock::shifted(by, next.run(req)).await
}

async fn track_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    // Labels come from fixed sets (route templates, known methods), so a
    // client inventing paths or methods cannot grow /metrics.
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "OTHER",
    };
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe_request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// `/metrics` alone, for `METRICS_ADDR`.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
