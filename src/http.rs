//! The HTTP surface: `/graphql` (POST queries, GET GraphiQL), health,
//! readiness and metrics, behind request ids, tracing, timeouts and a body
//! size limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, Response as GqlResponse};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{self, Viewer};
use crate::error::{AppError, code};
use crate::graphql::codes;
use crate::graphql::context::{self, RequestData};
use crate::rate_limit::Budget;
use crate::state::AppState;

pub fn build_app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config.request_timeout_ms);
    let body_limit = state.config.max_body_bytes;
    let mut router = Router::new();
    if state.config.bench_floor {
        router = router.merge(crate::floor::routes());
    }
    router
        .route("/graphql", get(graphiql).post(graphql_post))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
        .layer(
            ServiceBuilder::new()
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
                .layer(CatchPanicLayer::custom(|_| {
                    error_response(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &AppError::internal(std::io::Error::other("handler panicked")),
                    )
                }))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                )),
        )
        .with_state(state)
}

async fn track_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    state.metrics.observe_request(
        &method,
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

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("ocop-gateway")
            .finish(),
    )
}

/// A GraphQL-shaped error body for failures that happen before execution.
fn error_response(status: StatusCode, err: &AppError) -> Response {
    let mut extensions = json!({ "code": err.code() });
    match err {
        AppError::RateLimited { retry_after_secs } => {
            extensions["retryAfterSeconds"] = json!(retry_after_secs);
        }
        AppError::Overloaded => extensions["retryAfterSeconds"] = json!(1),
        _ => {}
    }
    let body = json!({ "errors": [{ "message": err.public_message(), "extensions": extensions }] });
    let mut response = (status, axum::Json(body)).into_response();
    match err {
        AppError::Unauthenticated(_) => {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        AppError::RateLimited { retry_after_secs } => {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(RETRY_AFTER, v);
            }
        }
        AppError::Overloaded => {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        _ => {}
    }
    response
}

fn status_for(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Authenticates the request. No header means an anonymous caller (only
/// introspection works); a header that is present but bad is refused
/// outright with 401, before anything else runs. A partner over its request
/// rate is refused with 429 before any SQL (its record is cached).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Caller>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        AppError::Unauthenticated("the Authorization header is not valid text".into())
    })?;
    let token = auth::bearer_token(value)?;
    let claims = state.auth.verify(token)?;
    let partner = state
        .partners
        .get(&state.db, &claims.sub)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the token's partner is not known".into()))?;
    let budget = state.limiter.budget(&partner);
    let viewer = auth::viewer_for(partner, &claims)?;
    budget
        .take_request()
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    Ok(Some(Caller { viewer, budget }))
}

struct Caller {
    viewer: Viewer,
    budget: Arc<Budget>,
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("request body exceeds {} bytes", state.config.max_body_bytes)
            } else {
                "the request body could not be read".into()
            };
            return error_response(status, &AppError::bad_input(message));
        }
    };
    // Shed load instead of queueing: a request beyond the in-flight limit
    // is answered at once, before authentication or any SQL.
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        state.metrics.observe_graphql_error(code::RATE_LIMITED);
        return error_response(StatusCode::SERVICE_UNAVAILABLE, &AppError::Overloaded);
    };
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(err) => {
            state.metrics.observe_graphql_error(err.code());
            return error_response(status_for(&err), &err);
        }
    };
    let batch = match parse_batch(&body) {
        Some(batch) => batch,
        None => {
            return error_response(
                StatusCode::BAD_REQUEST,
                &AppError::bad_input(
                    "the body must be a JSON GraphQL request {\"query\": \"...\", \"variables\": {...}} or an array of them",
                ),
            );
        }
    };
    match batch {
        BatchRequest::Single(request) => {
            let response = execute(&state, request, caller.as_ref()).await;
            match rate_limited(&response) {
                Some(retry_after_secs) => error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    &AppError::RateLimited { retry_after_secs },
                ),
                None => json_response(&response),
            }
        }
        BatchRequest::Batch(requests) => {
            if requests.is_empty() || requests.len() > state.config.max_batch_size {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    &AppError::bad_input(format!(
                        "a batch must hold between 1 and {} operations",
                        state.config.max_batch_size
                    )),
                );
            }
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                responses.push(execute(&state, request, caller.as_ref()).await);
            }
            json_response(&responses)
        }
    }
}

/// Parses a GraphQL-over-HTTP body strictly: an object with a string
/// `query`, or an array of such objects. (serde would otherwise accept a
/// JSON array as a positional `Request`.)
fn parse_batch(body: &[u8]) -> Option<BatchRequest> {
    fn one(value: serde_json::Value) -> Option<async_graphql::Request> {
        if !value.get("query").is_some_and(serde_json::Value::is_string) {
            return None;
        }
        serde_json::from_value(value).ok()
    }
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(one)
            .collect::<Option<Vec<_>>>()
            .map(BatchRequest::Batch),
        value @ serde_json::Value::Object(_) => one(value).map(BatchRequest::Single),
        _ => None,
    }
}

async fn execute(
    state: &AppState,
    request: async_graphql::Request,
    caller: Option<&Caller>,
) -> GqlResponse {
    let data = RequestData {
        db: state.db.clone(),
        viewer: caller.map(|c| c.viewer.clone()),
        budget: caller.map(|c| c.budget.clone()),
        locations: state.locations.clone(),
        max_page_size: state.config.max_page_size,
    };
    let mut response = state.schema.execute(context::prepare(request, data)).await;
    // Every error must carry a SPEC code. Ours always do; what is left bare
    // comes from async-graphql's input coercion, which is the caller's fault.
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(codes::coded)
        .collect();
    for err in &response.errors {
        if let Some(async_graphql::Value::String(c)) =
            err.extensions.as_ref().and_then(|x| x.get("code"))
        {
            state.metrics.observe_graphql_error(c);
        }
    }
    response
}

/// A single operation refused by the query-cost budget answers 429 like a
/// request over its rate, so clients handle both the same way.
fn rate_limited(response: &GqlResponse) -> Option<u64> {
    let [err] = response.errors.as_slice() else {
        return None;
    };
    let ext = err.extensions.as_ref()?;
    match (ext.get("code"), ext.get("retryAfterSeconds")) {
        (Some(async_graphql::Value::String(c)), Some(async_graphql::Value::Number(n)))
            if c == code::RATE_LIMITED =>
        {
            n.as_u64()
        }
        _ => None,
    }
}

fn json_response<T: serde::Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            StatusCode::OK,
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            Body::from(bytes),
        )
            .into_response(),
        Err(err) => error_response(StatusCode::INTERNAL_SERVER_ERROR, &AppError::internal(err)),
    }
}
