//! Bulk over plain HTTP, for spreadsheets and nightly jobs:
//! - `POST /catalog/import?errorPolicy=&dryRun=` (`catalog:write`): a
//!   catalogue sheet, answered with a per-row report;
//! - `GET /catalog/import/template.csv`: the sheet to fill in;
//! - `GET /catalog/export.jsonl` and `/catalog/export.csv?updatedSince=`
//!   (`catalog:read`): the catalogue the caller may see, streamed a page at
//!   a time, with an ETag;
//! - `POST /orders/import?errorPolicy=&dryRun=` (`orders:write`): an order
//!   sheet, one order per store and buyer reference.
//!
//! The rules are the domain's (`catalog::import`, `catalog::export`,
//! `orders::sheet`); this module reads the request and writes the answer.

use std::collections::HashMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::auth::{Scope, Viewer};
use crate::domain::catalog::export::{self, Entry, ROWS_PER_READ};
use crate::domain::catalog::{Audience, import};
use crate::domain::orders::sheet as order_sheet;
use crate::domain::sheet::{self, ErrorPolicy};
use crate::error::AppError;
use crate::graphql::cost;
use crate::http::caller::{Caller, authenticate};
use crate::http::report_csv::field;
use crate::http::state::AppState;

/// What one bulk request costs of the caller's query budget: as much as
/// twenty mutations, whatever its size (the write is one transaction).
const BULK_COST: usize = cost::MUTATION * 20;

/// The longest a bulk upload may take (a 20,000-row sheet on a busy
/// database), instead of `REQUEST_TIMEOUT_MS`.
pub const BULK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether `path` is a bulk upload, with `BULK_TIMEOUT`.
pub fn is_bulk_upload(path: &str) -> bool {
    matches!(path, "/catalog/import" | "/orders/import")
}

async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let caller = authenticate(state, headers)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("a bearer token is required".into()))?;
    caller
        .budget
        .spend(BULK_COST)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    Ok(caller)
}

fn options(q: &HashMap<String, String>) -> Result<(ErrorPolicy, bool), AppError> {
    let policy = ErrorPolicy::parse(q.get("errorPolicy").map(String::as_str))?;
    let dry_run = match q.get("dryRun").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(AppError::bad_field("dryRun", "`dryRun` is true or false")),
    };
    Ok((policy, dry_run))
}

/// The uploaded sheet itself, as the body (not a multipart form).
fn sheet_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    let body = body.map_err(|_| AppError::BodyTooLarge {
        max_bytes: sheet::MAX_BYTES,
    })?;
    let multipart = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    if multipart {
        return Err(AppError::bad_input(
            "send the CSV file itself as the body, with Content-Type: text/csv (curl --data-binary @sheet.csv)",
        ));
    }
    Ok(body)
}

pub async fn catalog_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let caller = caller(&state, &headers).await?;
        let (policy, dry_run) = options(&q)?;
        let body = sheet_body(&headers, body)?;
        import::import(
            &state.db,
            caller.viewer(),
            &body,
            import::Options { policy, dry_run },
        )
        .await
    };
    match run.await {
        Ok(report) => Json(report).into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn orders_import(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let caller = caller(&state, &headers).await?;
        let (policy, dry_run) = options(&q)?;
        let body = sheet_body(&headers, body)?;
        order_sheet::import(
            &state.db,
            caller.viewer(),
            &body,
            order_sheet::Options { policy, dry_run },
        )
        .await
    };
    match run.await {
        Ok(report) => Json(report).into_response(),
        Err(e) => e.into_response(),
    }
}

/// One line of a CSV.
fn csv_line(cells: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut line = cells
        .into_iter()
        .map(|c| field(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The catalogue sheet to fill in: the header and one example row, UTF-8
/// with a byte-order mark so Excel shows the Vietnamese as it is.
pub async fn template(State(state): State<AppState>) -> Response {
    let example = match import::example(&state.db).await {
        Ok(example) => example,
        Err(e) => return e.into_response(),
    };
    let mut out = String::from("\u{feff}");
    out.push_str(&csv_line(import::COLUMNS));
    out.push_str(&csv_line(import::COLUMNS.iter().map(|c| {
        example
            .iter()
            .find(|(k, _)| k == c)
            .map_or("", |(_, v)| v.as_str())
    })));
    let mut response = out.into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"ocop-catalogue-template.csv\""),
    );
    response
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
}

pub async fn export_jsonl(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(state, headers, q, Format::Jsonl).await
}

pub async fn export_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    export(state, headers, q, Format::Csv).await
}

fn updated_since(q: &HashMap<String, String>) -> Result<Option<DateTime<Utc>>, AppError> {
    q.get("updatedSince")
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    AppError::bad_field(
                        "updatedSince",
                        "`updatedSince` is an RFC 3339 time, e.g. 2026-12-01T00:00:00Z",
                    )
                })
        })
        .transpose()
}

async fn export(
    state: AppState,
    headers: HeaderMap,
    q: HashMap<String, String>,
    format: Format,
) -> Response {
    let start = async {
        let caller = caller(&state, &headers).await?;
        let viewer: &Viewer = caller.viewer();
        viewer.require(Scope::CatalogRead)?;
        let scope = export::Scope {
            audience: Audience::of(viewer),
            updated_since: updated_since(&q)?,
        };
        let name = if format == Format::Csv {
            "csv"
        } else {
            "jsonl"
        };
        let tag = export::tag(&state.db, scope, name).await?;
        Ok::<_, AppError>((scope, tag))
    };
    let (scope, tag) = match start.await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    // Where the next incremental sync starts: a little before this one,
    // so that a write still committing while this export read (an import
    // may take up to BULK_TIMEOUT) is sent again rather than missed.
    let next_since = (crate::domain::clock::now()
        - chrono::Duration::from_std(BULK_TIMEOUT + std::time::Duration::from_secs(60))
            .unwrap_or_default())
    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from_stream(stream(state, scope, format)).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(ETAG, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(VARY, HeaderValue::from_static("Authorization"));
    if let Ok(v) = HeaderValue::from_str(&next_since) {
        h.insert("x-next-updated-since", v);
    }
    if !unchanged {
        let (kind, file) = match format {
            Format::Jsonl => (
                "application/jsonl; charset=utf-8",
                "attachment; filename=\"ocop-catalogue.jsonl\"",
            ),
            Format::Csv => (
                "text/csv; charset=utf-8",
                "attachment; filename=\"ocop-catalogue.csv\"",
            ),
        };
        h.insert(CONTENT_TYPE, HeaderValue::from_static(kind));
        h.insert(CONTENT_DISPOSITION, HeaderValue::from_static(file));
    }
    response
}

/// The export, a page a chunk. A database failure midway ends the body
/// early (the client sees the transfer cut off, never a partial file
/// that looks complete).
fn stream(
    state: AppState,
    scope: export::Scope,
    format: Format,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(0i64), move |after| {
        let state = state.clone();
        async move {
            let after = after?;
            let mut out = String::new();
            if after == 0 && format == Format::Csv {
                out.push('\u{feff}');
                out.push_str(&csv_line(export::csv_header()));
            }
            match export::page(&state.db, scope, after, ROWS_PER_READ).await {
                Ok((entries, next)) => {
                    for e in &entries {
                        render(&mut out, e, format);
                    }
                    Some((Ok(Bytes::from(out)), next))
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "catalogue export failed midway");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    })
}

fn render(out: &mut String, e: &Entry, format: Format) {
    match format {
        Format::Jsonl => {
            out.push_str(&export::json_line(e).to_string());
            out.push('\n');
        }
        Format::Csv => out.push_str(&csv_line(export::csv_cells(e))),
    }
}
