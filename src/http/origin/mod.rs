//! The origin page behind every QR stamp, for anyone (no token): GS1
//! Digital Link paths (`/01/{gtin}`, `/01/{gtin}/10/{lot}`, `?17=YYMMDD`),
//! the OCOP stamp's `/trace/{code}`, their RFC 9264 linksets, a printable
//! QR code of each, and `/.well-known/gs1resolver`.
//!
//! Serving the public: metered per client address (`client_addr`), answers
//! kept in memory until the next commit or business day (`http::cache`),
//! an `ETag` from the body itself (the same on every replica, so a CDN's
//! revalidation is a 304), and `max-age` never reaching past the local
//! midnight at which a certificate may lapse.

mod linkset;
mod page;
mod qr;
mod words;

use std::net::SocketAddr;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::header::{
    ACCEPT, ACCEPT_LANGUAGE, ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_LANGUAGE,
    CONTENT_TYPE, ETAG, IF_NONE_MATCH, LINK, RETRY_AFTER, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::db::changes;
use crate::domain::clock;
use crate::domain::origin::{self, Key, Missing};
use crate::http::state::AppState;
use words::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/01/{gtin}", get(by_gtin))
        .route("/01/{gtin}/qr.svg", get(gtin_qr))
        .route("/01/{gtin}/{*qualifiers}", get(by_gtin_qualified))
        .route("/trace/{code}", get(by_trace))
        .route("/trace/{code}/qr.svg", get(trace_qr))
        .route("/.well-known/gs1resolver", get(description))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Linkset,
}

/// One scan, as the handlers read it from the request.
struct Scan {
    key: Key,
    lot: Option<String>,
    /// The path as asked, without the query (the linkset's anchor).
    path: String,
    /// A qualifier path that is not `10/{lot}` pairs.
    malformed: bool,
}

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

async fn by_gtin(
    State(state): State<AppState>,
    connect: Peer,
    Path(gtin): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scan = Scan {
        path: format!("/01/{gtin}"),
        key: Key::Gtin(gtin),
        lot: None,
        malformed: false,
    };
    answer(&state, connect, &headers, query.as_deref(), scan).await
}

/// `/01/{gtin}/10/{lot}` and other qualifiers: a lot is looked up, a serial
/// (21) or anything else GS1 defines is read past, to the item itself.
async fn by_gtin_qualified(
    State(state): State<AppState>,
    connect: Peer,
    Path((gtin, qualifiers)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let parts: Vec<&str> = qualifiers.split('/').collect();
    let malformed = !parts.len().is_multiple_of(2)
        || parts.len() > 8
        || parts.chunks(2).any(|p| {
            p[1].is_empty() || !p[0].bytes().all(|b| b.is_ascii_digit()) || p[0].len() > 4
        });
    let lot = (!malformed)
        .then(|| {
            parts
                .chunks(2)
                .find(|p| p[0] == "10")
                .map(|p| p[1].to_owned())
        })
        .flatten();
    let scan = Scan {
        path: match &lot {
            Some(l) => format!("/01/{gtin}/10/{}", origin::encode_segment(l)),
            None => format!("/01/{gtin}"),
        },
        key: Key::Gtin(gtin),
        lot,
        malformed,
    };
    answer(&state, connect, &headers, query.as_deref(), scan).await
}

async fn by_trace(
    State(state): State<AppState>,
    connect: Peer,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let scan = Scan {
        path: format!("/trace/{}", origin::encode_segment(&code)),
        key: Key::Trace(code),
        lot: None,
        malformed: false,
    };
    answer(&state, connect, &headers, query.as_deref(), scan).await
}

/// What the query asks: the page's language, the linkset, and `17`.
struct Query {
    lang: Option<String>,
    linkset: bool,
    /// `Some(None)`: a `17` that is not a date.
    expiry: Option<Option<NaiveDate>>,
}

fn read_query(raw: Option<&str>) -> Query {
    let pairs: Vec<(String, String)> = raw
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    Query {
        lang: get("lang").map(str::to_owned),
        linkset: matches!(get("linkType"), Some("linkset" | "all")),
        expiry: get("17").map(gs1_date),
    }
}

/// A GS1 date, YYMMDD; a day of 00 is the month's last day.
fn gs1_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().ok();
    let (year, month, day) = (2000 + n(0..2)? as i32, n(2..4)?, n(4..6)?);
    if day == 0 {
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        return next?.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn wants_linkset(headers: &HeaderMap, query: &Query) -> bool {
    query.linkset
        || headers
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/linkset+json"))
}

async fn answer(
    state: &AppState,
    connect: Peer,
    headers: &HeaderMap,
    raw_query: Option<&str>,
    scan: Scan,
) -> Response {
    let query = read_query(raw_query);
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let lang = Lang::choose(query.lang.as_deref(), accept_language);
    let format = if wants_linkset(headers, &query) {
        Format::Linkset
    } else {
        Format::Html
    };
    let fmt_label = match format {
        Format::Html => "html",
        Format::Linkset => "linkset",
    };
    let base = state.public_base.as_deref().unwrap_or("");
    let keep_query = match raw_query.and_then(|_| query.expiry.flatten()) {
        Some(d) => format!("&17={}", d.format("%y%m%d")),
        None => String::new(),
    };
    let canonical_path = match &scan.key {
        Key::Gtin(g) => origin::normalise(g).ok().map(|g14| format!("/01/{g14}")),
        Key::Trace(_) => None,
    };
    let canonical = canonical_path.as_ref().map(|p| format!("{base}{p}"));
    // The page of every GTIN form is one page (one ETag): its links name the
    // canonical GTIN-14 path, with the lot.
    let page_path = match (&canonical_path, &scan.lot) {
        (Some(c), Some(lot)) => format!("{c}/10/{}", origin::encode_segment(lot)),
        (Some(c), None) => c.clone(),
        (None, _) => scan.path.clone(),
    };
    let linkset_href = format!("{page_path}?linkType=linkset");
    let asked = page::Asked {
        lang,
        printed_expiry: query.expiry.flatten(),
        keep_query: &keep_query,
        canonical: canonical.as_deref(),
        linkset: &linkset_href,
    };

    let address = super::client_addr::client_ip(
        connect.map(|c| c.0.0),
        headers,
        &state.config.trusted_proxies,
    );
    if let Err(retry_after) = state.origin_limiter.take(address) {
        state.metrics.origin_view(fmt_label, "rate_limited");
        let mut r = html(StatusCode::TOO_MANY_REQUESTS, lang, page::slow_down(&asked));
        r.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return r;
    }
    if scan.malformed || matches!(query.expiry, Some(None)) {
        state.metrics.origin_view(fmt_label, "bad_request");
        return html(
            StatusCode::BAD_REQUEST,
            lang,
            page::missing(None, None, &asked),
        )
        .with_short_cache();
    }

    // Kept answers: keyed by what was asked and by the business day (the
    // cache's own key), valid while nothing is committed.
    let kept_key = format!(
        "origin\0{}\0{}\0{}\0{}",
        lang.code(),
        page_path,
        scan.lot.as_deref().unwrap_or(""),
        keep_query
    );
    let media = match format {
        Format::Html => 0xa0,
        Format::Linkset => 0xa1,
    };
    let lookup = state.responses.lookup(
        state.db.changes().current(),
        None,
        media,
        kept_key.as_bytes(),
    );
    if let Some(hit) = state.responses.get(&lookup, state.db.changes()) {
        return shown(
            state, headers, format, lang, hit.body, fmt_label, "kept", &page_path,
        );
    }
    let (found, deps) =
        changes::track(origin::find(&state.db, &scan.key, scan.lot.as_deref())).await;
    let found = match found {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let o = match found {
        Ok(o) => o,
        Err(missing) => {
            let outcome = match missing {
                Missing::InvalidGtin => "invalid_gtin",
                Missing::Unknown => "unknown",
                Missing::UnknownLot => "unknown_lot",
            };
            state.metrics.origin_view(fmt_label, outcome);
            let product_link = (missing == Missing::UnknownLot)
                .then_some(canonical_path.as_deref())
                .flatten();
            return html(
                StatusCode::NOT_FOUND,
                lang,
                page::missing(Some(missing), product_link, &asked),
            )
            .with_short_cache();
        }
    };
    let body = match format {
        Format::Html => page::product(&o, &asked),
        Format::Linkset => {
            let page_url =
                origin::stamp_url(base, o.product.gtin.as_deref(), &o.product.trace_code);
            // Anchored at the canonical GTIN-14 form, whichever was scanned.
            let anchor = format!("{base}{page_path}");
            linkset::of(&o, base, &anchor, &page_url).to_string()
        }
    };
    let body = Bytes::from(body);
    state
        .responses
        .keep(&lookup, deps, &body, state.db.changes());
    shown(
        state, headers, format, lang, body, fmt_label, "shown", &page_path,
    )
}

/// A found item's answer, or 304 when the caller holds it already.
#[allow(clippy::too_many_arguments)]
fn shown(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    lang: Lang,
    body: Bytes,
    fmt_label: &'static str,
    outcome: &'static str,
    path: &str,
) -> Response {
    let tag = etag(&body);
    let max_age = max_age(state.config.origin_max_age_secs);
    let mut response = if matches_tag(headers, &tag) {
        state.metrics.origin_view(fmt_label, "not_modified");
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        state.metrics.origin_view(fmt_label, outcome);
        match format {
            Format::Html => html(StatusCode::OK, lang, body),
            Format::Linkset => {
                let mut r = (StatusCode::OK, body).into_response();
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/linkset+json"),
                );
                r
            }
        }
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(CACHE_CONTROL, v);
    }
    h.insert(VARY, HeaderValue::from_static("Accept, Accept-Language"));
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "<{path}?linkType=linkset>; rel=\"linkset\"; type=\"application/linkset+json\""
    )) {
        h.insert(LINK, v);
    }
    response
}

/// Seconds a cache may keep a page: the configured age, but never past the
/// next local midnight (a certificate's last day ends there).
fn max_age(configured: u32) -> i64 {
    let local = Utc::now() + clock_shift() + Duration::hours(clock::BUSINESS_UTC_OFFSET_HOURS);
    let midnight = (local.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map_or(0, |m| (m - local.naive_utc()).num_seconds());
    midnight.clamp(0, i64::from(configured))
}

fn clock_shift() -> Duration {
    clock::now() - Utc::now()
}

fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn matches_tag(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == tag
        })
}

fn html(status: StatusCode, lang: Lang, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    if let Ok(v) = HeaderValue::from_str(&page::CSP) {
        h.insert("content-security-policy", v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

trait ShortCache {
    fn with_short_cache(self) -> Self;
}

impl ShortCache for Response {
    /// A miss may become a hit once the product is approved: a minute.
    fn with_short_cache(mut self) -> Self {
        let h = self.headers_mut();
        h.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        h.insert(VARY, HeaderValue::from_static("Accept, Accept-Language"));
        self
    }
}

async fn gtin_qr(
    State(state): State<AppState>,
    connect: Peer,
    Path(gtin): Path<String>,
    headers: HeaderMap,
) -> Response {
    let target = origin::normalise(&gtin)
        .ok()
        .map(|g14| format!("/01/{g14}"));
    qr_answer(&state, connect, &headers, target).await
}

async fn trace_qr(
    State(state): State<AppState>,
    connect: Peer,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let target = (!code.is_empty() && code.len() <= 128)
        .then(|| format!("/trace/{}", origin::encode_segment(&code)));
    qr_answer(&state, connect, &headers, target).await
}

/// The QR code of a stamp's address. It depends on the address alone, not
/// on whether (or in what state) a product carries it: so it tells nobody
/// whether a draft exists, and it never changes.
async fn qr_answer(
    state: &AppState,
    connect: Peer,
    headers: &HeaderMap,
    target: Option<String>,
) -> Response {
    let address = super::client_addr::client_ip(
        connect.map(|c| c.0.0),
        headers,
        &state.config.trusted_proxies,
    );
    if let Err(retry_after) = state.origin_limiter.take(address) {
        state.metrics.origin_view("qr", "rate_limited");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, retry_after.to_string())],
            "too many requests",
        )
            .into_response();
    }
    let Some(base) = state.public_base.as_deref() else {
        state.metrics.origin_view("qr", "bad_request");
        return (
            StatusCode::NOT_FOUND,
            "no QR codes: PUBLIC_BASE_URL is not configured",
        )
            .into_response();
    };
    let Some(svg) = target.and_then(|t| qr::svg(&format!("{base}{t}"))) else {
        state.metrics.origin_view("qr", "invalid_gtin");
        return (StatusCode::NOT_FOUND, "not a valid GTIN or trace code").into_response();
    };
    let tag = etag(svg.as_bytes());
    if matches_tag(headers, &tag) {
        state.metrics.origin_view("qr", "not_modified");
        return (StatusCode::NOT_MODIFIED, [(ETAG, tag)]).into_response();
    }
    state.metrics.origin_view("qr", "shown");
    (
        [
            (CONTENT_TYPE, "image/svg+xml".to_owned()),
            (CACHE_CONTROL, "public, max-age=86400".to_owned()),
            (ETAG, tag),
            (
                HeaderName::from_static("content-security-policy"),
                "default-src 'none'".to_owned(),
            ),
            (
                HeaderName::from_static("x-content-type-options"),
                "nosniff".to_owned(),
            ),
        ],
        svg,
    )
        .into_response()
}

async fn description(State(state): State<AppState>) -> Response {
    let base = state.public_base.as_deref().unwrap_or("");
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=3600"),
            (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        linkset::resolver_description(base).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_dates_read_yymmdd_with_day_00_as_the_month_end() {
        assert_eq!(gs1_date("270531"), NaiveDate::from_ymd_opt(2027, 5, 31));
        assert_eq!(gs1_date("280200"), NaiveDate::from_ymd_opt(2028, 2, 29));
        assert_eq!(gs1_date("271200"), NaiveDate::from_ymd_opt(2027, 12, 31));
        assert_eq!(gs1_date("271332"), None);
        assert_eq!(gs1_date("2705"), None);
    }

    #[test]
    fn max_age_never_reaches_past_local_midnight() {
        let age = max_age(86_400 * 2);
        assert!(age > 0 && age <= 86_400, "{age}");
        assert_eq!(max_age(0), 0);
    }
}
