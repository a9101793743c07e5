//! The HTTP surface: `/graphql` (POST queries, GET GraphiQL), health,
//! readiness and metrics, behind request ids, tracing, timeouts and a body
//! size limit.

use std::any::Any;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::OwnedSemaphorePermit;

use async_graphql::{BatchRequest, Response as GqlResponse};
use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{self, Viewer};
use crate::config::Introspection;
use crate::error::{AppError, code};
use crate::graphql::context::{self, RequestData};
use crate::graphql::{codes, measure, response_order};
use crate::rate_limit::Budget;
use crate::state::AppState;

pub fn build_app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config.request_timeout_ms);
    let body_limit = state.config.max_body_bytes;
    let mut router = Router::new();
    if state.config.bench_floor {
        router = router.merge(crate::floor::routes());
    }
    if state.config.metrics_addr.is_none() {
        router = router.route("/metrics", get(metrics));
    }
    router
        .route("/graphql", get(graphiql).post(graphql_post))
        .route("/graphql/ws", get(crate::live::ws::handler))
        .route("/reports/sales.csv", get(crate::report_csv::sales_csv))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), track_metrics))
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
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout {
            after_ms: limit.as_millis() as u64,
        }
        .into_response(),
    }
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

/// GraphiQL, wired for subscriptions too: the Headers tab's JSON is also
/// the `connection_init` payload of `/graphql/ws`.
async fn graphiql() -> Html<&'static str> {
    Html(include_str!("../static/graphiql.html"))
}

/// Authenticates the request. No header means an anonymous caller (only
/// introspection works); a header that is present but bad is refused
/// outright with 401, before anything else runs. A partner over its request
/// rate is refused with 429 before any SQL (its record is cached).
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Caller>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        AppError::Unauthenticated("the Authorization header is not valid text".into())
    })?;
    let (caller, _) = authenticate_token(state, auth::bearer_token(value)?).await?;
    Ok(Some(caller))
}

/// The checks every bearer token passes, on HTTP and in a WebSocket's
/// `connection_init`: signature and claims, a known and active partner,
/// revocation, the effective scopes, and one request of its rate budget.
pub(crate) async fn authenticate_token(
    state: &AppState,
    token: &str,
) -> Result<(Caller, auth::Claims), AppError> {
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
    Ok((Caller { viewer, budget }, claims))
}

/// A request without a token can only introspect: it is refused unless
/// introspection is public, metered per client address, and held to its
/// own few in-flight slots, so it never crowds out partners.
fn admit_anonymous(state: &AppState, address: IpAddr) -> Result<OwnedSemaphorePermit, AppError> {
    if state.config.introspection() != Introspection::Public {
        return Err(AppError::Unauthenticated(
            "a bearer token is required: Authorization: Bearer <JWT>".into(),
        ));
    }
    state
        .anonymous
        .take(address)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    state
        .anon_in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Overloaded)
}

impl Caller {
    pub(crate) fn viewer(&self) -> &Viewer {
        &self.viewer
    }
}

pub(crate) struct Caller {
    pub(crate) viewer: Viewer,
    pub(crate) budget: Arc<Budget>,
}

async fn graphql_post(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::BodyTooLarge {
                    max_bytes: state.config.max_body_bytes,
                }
            } else {
                AppError::bad_input("the request body could not be read")
            }
            .into_response();
        }
    };
    // Shed load instead of queueing: a request beyond the in-flight limit
    // is answered at once, before authentication or any SQL.
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        state.metrics.observe_graphql_error(code::RATE_LIMITED);
        return AppError::Overloaded.into_response();
    };
    let caller = match authenticate(&state, &headers).await {
        Ok(caller) => caller,
        Err(err) => {
            state.metrics.observe_graphql_error(err.code());
            return err.into_response();
        }
    };
    let _anonymous_permit = match caller {
        Some(_) => None,
        None => {
            let address = connect.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.0.ip());
            match admit_anonymous(&state, address) {
                Ok(permit) => Some(permit),
                Err(err) => {
                    state.metrics.observe_graphql_error(err.code());
                    return err.into_response();
                }
            }
        }
    };
    let batch = match parse_batch(&body) {
        Some(batch) => batch,
        None => {
            return AppError::bad_input(
                "the body must be a JSON GraphQL request {\"query\": \"...\", \"variables\": {...}} or an array of them",
            )
            .into_response();
        }
    };
    match batch {
        BatchRequest::Single(request) => {
            let response = execute(&state, request, caller.as_ref()).await;
            match rate_limited(&response) {
                Some(retry_after_secs) => {
                    AppError::RateLimited { retry_after_secs }.into_response()
                }
                None => json_response(&response),
            }
        }
        BatchRequest::Batch(requests) => {
            if requests.is_empty() || requests.len() > state.config.max_batch_size {
                return AppError::bad_input(format!(
                    "a batch must hold between 1 and {} operations",
                    state.config.max_batch_size
                ))
                .into_response();
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
    mut request: async_graphql::Request,
    caller: Option<&Caller>,
) -> GqlResponse {
    // Measured before validation, which could otherwise spend seconds
    // expanding fragments (see graphql::measure).
    let (extra_cost, doc) = match measure::measure(&request.query, &state.document_limits) {
        Ok(Some(measured)) => {
            if is_definitely_subscription(&measured.doc, request.operation_name.as_deref()) {
                let err = AppError::bad_input(
                    "subscriptions are served on /graphql/ws (graphql-transport-ws; the token goes in connection_init)",
                );
                state.metrics.observe_graphql_error(err.code());
                return GqlResponse::from_errors(vec![err.request_error()]);
            }
            request.set_parsed_query(measured.doc.clone());
            (measured.extra_cost, Some(measured.doc))
        }
        Ok(None) => (0, None),
        Err(err) => {
            state.metrics.observe_graphql_error(err.code());
            return GqlResponse::from_errors(vec![err.request_error()]);
        }
    };
    let data = RequestData {
        db: state.db.clone(),
        viewer: caller.map(|c| c.viewer.clone()),
        budget: caller.map(|c| c.budget.clone()),
        locations: state.locations.clone(),
        max_page_size: state.config.max_page_size,
        extra_cost,
        max_complexity: match caller {
            Some(_) => state.config.max_query_complexity,
            None => state
                .config
                .anon_max_complexity
                .min(state.config.max_query_complexity),
        },
    };
    let operation_name = request.operation_name.clone();
    let mut response = state.schema.execute(context::prepare(request, data)).await;
    if let Some(doc) = &doc {
        response_order::reorder(&mut response.data, doc, operation_name.as_deref());
    }
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

/// The operation to run is a subscription (an ambiguous document is left
/// for async-graphql to refuse with its own message).
fn is_definitely_subscription(
    doc: &async_graphql::parser::types::ExecutableDocument,
    name: Option<&str>,
) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let op = match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    op.is_some_and(|op| op.node.ty == OperationType::Subscription)
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
        Err(err) => AppError::internal(err).into_response(),
    }
}
