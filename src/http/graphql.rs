//! `/graphql` as GraphQL over HTTP specifies it:
//! - `POST` with `Content-Type: application/json` runs queries and
//!   mutations (a JSON array is a batch); a POST without that content type
//!   is refused with 415.
//! - `GET ?query=&variables=&operationName=&extensions=` runs queries only
//!   (a mutation is 405); a browser asking for HTML without a query gets
//!   GraphiQL.
//! - The answer is `application/graphql-response+json` when the client
//!   prefers it: then a request that could not run (parse, validation,
//!   variables, limits) is a 4xx with no `data`. Otherwise it is
//!   `application/json`, where such errors come with 200, as older clients
//!   expect.
//! - A query's answer is kept until a commit changes what it read
//!   (`cache`): the same request from the same caller is answered from it,
//!   and a GET's `ETag` lets an unchanged poll be answered 304 without
//!   running anything.

use std::net::SocketAddr;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, Response as GqlResponse, ServerError};
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::OwnedSemaphorePermit;

use super::cache::Lookup;
use super::caller::{Caller, admit_anonymous, authenticate, request_data};
use super::graphiql;
use super::media_type::{Media, is_json, negotiate, not_acceptable, wants_html};
use crate::db::changes::{self, Deps, Key};
use crate::error::{AppError, code};
use crate::graphql::admit::{self, Asker, Refused};
use crate::graphql::loader;
use crate::graphql::{codes, response_order};
use crate::http::state::AppState;

/// Held while a request is worked on.
struct Admission {
    caller: Option<Caller>,
    _permit: OwnedSemaphorePermit,
    _anonymous: Option<OwnedSemaphorePermit>,
}

/// In-flight limit, authentication and the anonymous caller's limits, in
/// that order, before any SQL.
async fn admit_caller(
    state: &AppState,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> Result<Admission, Response> {
    // Shed load instead of queueing: a request beyond the in-flight limit
    // is answered at once, before authentication or any SQL.
    let Ok(permit) = state.in_flight.clone().try_acquire_owned() else {
        state.metrics.observe_graphql_error(code::RATE_LIMITED);
        return Err(AppError::Overloaded.into_response());
    };
    let refuse = |err: AppError| {
        state.metrics.observe_graphql_error(err.code());
        err.into_response()
    };
    let caller = authenticate(state, headers).await.map_err(refuse)?;
    let anonymous = match caller {
        Some(_) => None,
        None => {
            let address = super::client_addr::client_ip(
                connect.map(|c| c.0.0),
                headers,
                &state.config.trusted_proxies,
            );
            Some(admit_anonymous(state, address).map_err(refuse)?)
        }
    };
    Ok(Admission {
        caller,
        _permit: permit,
        _anonymous: anonymous,
    })
}

pub(super) async fn post(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::bad_input("send the request as `Content-Type: application/json`"),
        )
            .into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
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
    let admission = match admit_caller(&state, connect, &headers).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let caller = admission.caller.as_ref();
    let Some(batch) = parse_batch(&body) else {
        return AppError::bad_input(
            "the body must be a JSON GraphQL request {\"query\": \"...\", \"variables\": {...}} or an array of them",
        )
        .into_response();
    };
    const RUNS: &[OperationType] = &[OperationType::Query, OperationType::Mutation];
    match batch {
        BatchRequest::Single(request) => {
            // Read before anything runs: a commit after this to what the
            // answer reads makes it stale, and it is not served again.
            let lookup = state.responses.lookup(
                state.db.changes().current(),
                caller.map(Caller::viewer),
                media as u8,
                &body,
            );
            if let Some(hit) = state.responses.get(&lookup, state.db.changes()) {
                return bytes_response(StatusCode::OK, media, hit.body);
            }
            let mut mutations = state.config.max_mutations_per_request;
            let (outcome, deps) =
                changes::track(run(&state, request, caller, RUNS, &mut mutations)).await;
            respond_keeping(&state, outcome, deps, media, &lookup).0
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
            // One cap on mutations for the whole HTTP request, however its
            // documents divide them.
            let mut mutations = state.config.max_mutations_per_request;
            for request in requests {
                responses.push(
                    run(&state, request, caller, RUNS, &mut mutations)
                        .await
                        .into_response_body(),
                );
            }
            body_response(StatusCode::OK, media, &responses)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub(super) async fn get(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let Ok(params) = serde_urlencoded::from_str::<GetParams>(&raw) else {
        return AppError::bad_input("the URL's query string could not be read").into_response();
    };
    if params.query.is_none() && params.extensions.is_none() {
        if wants_html(&headers) {
            return graphiql::page(&headers);
        }
        return AppError::bad_field("query", "the request has no `query`").into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match get_request(params) {
        Ok(r) => r,
        Err(err) => return err.into_response(),
    };
    let admission = match admit_caller(&state, connect, &headers).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let caller = admission.caller.as_ref();
    // Read before anything runs: a commit after this to what the answer
    // reads makes it (and its tag) stale.
    let lookup = state.responses.lookup(
        state.db.changes().current(),
        caller.map(Caller::viewer),
        media as u8,
        raw.as_bytes(),
    );
    let cache_headers = |response: &mut Response, tag: &HeaderValue| {
        let h = response.headers_mut();
        h.insert(ETAG, tag.clone());
        if let Ok(v) = HeaderValue::from_str(&format!(
            "private, max-age={}",
            state.config.http_cache_max_age_secs
        )) {
            h.insert(CACHE_CONTROL, v);
        }
        h.insert(VARY, HeaderValue::from_static("Authorization, Accept"));
    };
    let not_modified = |tag: &HeaderValue| {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(&mut response, tag);
        response
    };
    if let Some(hit) = state.responses.get(&lookup, state.db.changes()) {
        let Some(tag) = hit.tag else {
            return bytes_response(StatusCode::OK, media, hit.body);
        };
        if matches(&headers, &tag) {
            return not_modified(&tag);
        }
        let mut response = bytes_response(StatusCode::OK, media, hit.body);
        cache_headers(&mut response, &tag);
        return response;
    }
    let mut mutations = 0;
    let (outcome, deps) = changes::track(run(
        &state,
        request,
        caller,
        &[OperationType::Query],
        &mut mutations,
    ))
    .await;
    let (mut response, tag) = respond_keeping(&state, outcome, deps, media, &lookup);
    match tag {
        // Computed again, and the same as the client's.
        Some(tag) if matches(&headers, &tag) => not_modified(&tag),
        Some(tag) => {
            cache_headers(&mut response, &tag);
            response
        }
        None => {
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}

fn get_request(params: GetParams) -> Result<async_graphql::Request, AppError> {
    let mut request = async_graphql::Request::new(params.query.unwrap_or_default());
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        request = request.operation_name(name);
    }
    if let Some(text) = params.variables.filter(|v| !v.is_empty()) {
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| AppError::bad_field("variables", "`variables` must be a JSON object"))?;
        if !value.is_object() {
            return Err(AppError::bad_field(
                "variables",
                "`variables` must be a JSON object",
            ));
        }
        request = request.variables(async_graphql::Variables::from_json(value));
    }
    if let Some(text) = params.extensions.filter(|v| !v.is_empty()) {
        request.extensions = serde_json::from_str(&text)
            .map_err(|_| AppError::bad_field("extensions", "`extensions` must be a JSON object"))?;
    }
    Ok(request)
}

/// `If-None-Match` lists the tag (or is `*`).
fn matches(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let Ok(tag) = tag.to_str() else {
        return false;
    };
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

/// Parses a GraphQL-over-HTTP body strictly: an object, or an array of
/// objects, whose `query` (when present) is a string. (serde would
/// otherwise accept a JSON array as a positional `Request`.)
fn parse_batch(body: &[u8]) -> Option<BatchRequest> {
    fn one(value: serde_json::Value) -> Option<async_graphql::Request> {
        let obj = value.as_object()?;
        let query_ok = match obj.get("query") {
            Some(q) => q.is_string(),
            // A persisted query's hash alone (`graphql::admit`).
            None => obj.get("extensions").is_some_and(|e| e.is_object()),
        };
        let variables_ok = obj
            .get("variables")
            .is_none_or(|v| v.is_object() || v.is_null());
        let extensions_ok = obj
            .get("extensions")
            .is_none_or(|v| v.is_object() || v.is_null());
        if !(query_ok && variables_ok && extensions_ok) {
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

/// What became of one operation.
enum Outcome {
    /// Nothing ran.
    Refused(Vec<ServerError>),
    /// The operation is not run over this transport.
    WrongMethod(OperationType),
    Ran(Box<GqlResponse>, OperationType),
}

impl Outcome {
    fn into_response_body(self) -> GqlResponse {
        match self {
            Outcome::Refused(errors) => GqlResponse::from_errors(errors),
            Outcome::WrongMethod(ty) => {
                GqlResponse::from_errors(vec![wrong_method(ty).request_error()])
            }
            Outcome::Ran(response, _) => *response,
        }
    }
}

fn wrong_method(ty: OperationType) -> AppError {
    match ty {
        OperationType::Subscription => AppError::bad_input(
            "subscriptions are served on /graphql/ws (graphql-transport-ws; the token goes in connection_init)",
        ),
        _ => AppError::bad_input("mutations are sent with POST"),
    }
}

async fn run(
    state: &AppState,
    request: async_graphql::Request,
    caller: Option<&Caller>,
    runs: &[OperationType],
    mutations_left: &mut usize,
) -> Outcome {
    let asker = Asker {
        budget: caller.map(|c| &*c.budget),
        max_complexity: match caller {
            Some(_) => state.config.max_query_complexity,
            None => state
                .config
                .anon_max_complexity
                .min(state.config.max_query_complexity),
        },
    };
    let admitted = match admit::admit(&state.admission, request, asker, runs).await {
        Ok(a) => a,
        Err(Refused::Transport(ty)) => {
            state.metrics.observe_graphql_error(code::BAD_USER_INPUT);
            return Outcome::WrongMethod(ty);
        }
        Err(Refused::Errors(errors)) => {
            observe(state, &errors);
            return Outcome::Refused(errors);
        }
    };
    let mutations = admitted
        .measured
        .mutations_in(admitted.request.operation_name.as_deref());
    if mutations > *mutations_left {
        let errors = vec![
            AppError::QueryTooComplex(format!(
                "an HTTP request may run at most {} mutations in all, batches included",
                state.config.max_mutations_per_request
            ))
            .request_error(),
        ];
        observe(state, &errors);
        return Outcome::Refused(errors);
    }
    *mutations_left -= mutations;
    if let Some(c) = caller {
        // The caller's partner record (its listing rules, its name) comes
        // from the partner cache, not from a statement of this request.
        changes::depends_on([Key::Partner(c.viewer().partner_id())]);
    }
    let data = request_data(state, caller);
    let operation_name = admitted.request.operation_name.clone();
    let kind = admitted.kind;
    let mut response = state
        .schema
        .execute(loader::prepare(admitted.request, data))
        .await;
    response_order::reorder(
        &mut response.data,
        &admitted.measured.doc,
        operation_name.as_deref(),
    );
    // Every error must carry one of the contract's codes. Ours always do; what is left bare
    // comes from async-graphql's input coercion, which is the caller's fault.
    response.errors = std::mem::take(&mut response.errors)
        .into_iter()
        .map(codes::coded)
        .collect();
    observe(state, &response.errors);
    Outcome::Ran(Box::new(response), kind)
}

fn observe(state: &AppState, errors: &[ServerError]) {
    for err in errors {
        if let Some(async_graphql::Value::String(c)) =
            err.extensions.as_ref().and_then(|x| x.get("code"))
        {
            state.metrics.observe_graphql_error(c);
        }
    }
}

/// One operation's HTTP answer, kept for the next identical request when
/// it is a query's without errors (then with its `ETag`).
fn respond_keeping(
    state: &AppState,
    outcome: Outcome,
    deps: Deps,
    media: Media,
    lookup: &Lookup,
) -> (Response, Option<HeaderValue>) {
    match outcome {
        // `no_cache` types (the webhook log) move without a commit the
        // cache would hear: never kept.
        Outcome::Ran(response, OperationType::Query)
            if response.errors.is_empty() && response.cache_control.max_age >= 0 =>
        {
            match serde_json::to_vec(&response) {
                Ok(bytes) => {
                    let bytes = Bytes::from(bytes);
                    let tag = state
                        .responses
                        .keep(lookup, deps, &bytes, state.db.changes());
                    (bytes_response(StatusCode::OK, media, bytes), tag)
                }
                Err(err) => (AppError::internal(err).into_response(), None),
            }
        }
        outcome => (respond(outcome, media), None),
    }
}

/// One operation's HTTP answer.
fn respond(outcome: Outcome, media: Media) -> Response {
    match outcome {
        Outcome::Ran(response, _) => body_response(StatusCode::OK, media, &response),
        Outcome::WrongMethod(OperationType::Mutation) => {
            let mut response = (
                StatusCode::METHOD_NOT_ALLOWED,
                wrong_method(OperationType::Mutation),
            )
                .into_response();
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            response
        }
        Outcome::WrongMethod(ty) => {
            let errors = [wrong_method(ty).request_error()];
            body_response(
                request_error_status(media),
                media,
                &RequestErrors { errors: &errors },
            )
        }
        Outcome::Refused(errors) => {
            // A request over its budget answers 429 like one over its rate,
            // so clients handle both the same way.
            if let Some(retry_after_secs) = rate_limited(&errors) {
                return AppError::RateLimited { retry_after_secs }.into_response();
            }
            body_response(
                request_error_status(media),
                media,
                &RequestErrors { errors: &errors },
            )
        }
    }
}

/// A request error's body: no `data` entry, as nothing ran.
#[derive(serde::Serialize)]
struct RequestErrors<'a> {
    errors: &'a [ServerError],
}

/// `application/json` keeps 200 for request errors, as clients older than
/// the newer media type expect.
fn request_error_status(media: Media) -> StatusCode {
    match media {
        Media::Json => StatusCode::OK,
        Media::GraphqlResponse => StatusCode::BAD_REQUEST,
    }
}

fn rate_limited(errors: &[ServerError]) -> Option<u64> {
    let [err] = errors else {
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

fn bytes_response(status: StatusCode, media: Media, bytes: Bytes) -> Response {
    (
        status,
        [(CONTENT_TYPE, media.content_type())],
        Body::from(bytes),
    )
        .into_response()
}

fn body_response<T: serde::Serialize>(status: StatusCode, media: Media, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(CONTENT_TYPE, media.content_type())],
            Body::from(bytes),
        )
            .into_response(),
        Err(err) => AppError::internal(err).into_response(),
    }
}
