//! `/console`: the browser console for buyers and the operator, a client
//! of the public API with the caller's own token and nothing else.
//!
//! Its assets are compiled into the binary and served under a path that
//! carries their content hash, so they are cached for a year and a new
//! build is picked up at once; the page itself is revalidated. A strict
//! Content-Security-Policy allows only this origin's scripts, styles and
//! connections (no inline script, no third party).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::http::state::AppState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! script {
    ($name:literal) => {
        Asset {
            name: $name,
            content_type: "text/javascript; charset=utf-8",
            body: include_str!(concat!("../../static/console/", $name)),
        }
    };
}

/// Every file the page loads: ES modules importing each other by relative
/// path, so they all live under the same versioned directory.
const ASSETS: [Asset; 10] = [
    script!("console.js"),
    script!("api.js"),
    script!("dom.js"),
    script!("i18n.js"),
    script!("buyer.js"),
    script!("orders.js"),
    script!("stock.js"),
    script!("reports.js"),
    script!("partners.js"),
    Asset {
        name: "console.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../../static/console/console.css"),
    },
];

/// The version in the assets' paths: a hash of all of them.
fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for a in &ASSETS {
            h.update(a.body.as_bytes());
        }
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        include_str!("../../static/console/index.html").replace("{{version}}", version())
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(index))
        .route("/console/", get(index))
        .route("/console/assets/{version}/{name}", get(asset))
}

fn secured(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The page is revalidated on every load (`no-cache`) so a deploy is seen
/// at once; its ETag is the assets' version, so an unchanged page costs a
/// 304 and no body.
async fn index(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", version());
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, "text/html; charset=utf-8")], page()).into_response()
    };
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    secured(response)
}

async fn asset(Path((v, name)): Path<(String, String)>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old version's path is answered with today's asset, uncached, so
    // a page loaded before a deploy keeps working.
    let cache = if v == version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    secured(
        (
            [(CONTENT_TYPE, asset.content_type), (CACHE_CONTROL, cache)],
            asset.body,
        )
            .into_response(),
    )
}
