//! Browser assets compiled into the binary (the console, GraphiQL), served
//! under a path that carries their content hash, so they are cached for a
//! year and a new build is picked up at once; their page is revalidated.
//! Every answer carries the page's strict Content-Security-Policy.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";

/// The version in the assets' paths: a hash of all of them.
pub fn version_of(assets: &[Asset]) -> String {
    let mut h = Sha256::new();
    for a in assets {
        h.update(a.body);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn secured(mut response: Response, csp: &'static str) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
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
pub fn page(headers: &HeaderMap, version: &str, html: &'static str, csp: &'static str) -> Response {
    let etag = format!("\"{version}\"");
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
    };
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    secured(response, csp)
}

/// One asset by name. An old version's path is answered with today's
/// asset, uncached, so a page loaded before a deploy keeps working.
pub fn asset(
    assets: &'static [Asset],
    version: &str,
    asked_version: &str,
    name: &str,
    csp: &'static str,
) -> Response {
    let Some(asset) = assets.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if asked_version == version {
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
        csp,
    )
}
