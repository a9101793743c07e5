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
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use super::assets::{self, Asset, CSS, JS};
use crate::http::state::AppState;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

macro_rules! script {
    ($name:literal) => {
        Asset {
            name: $name,
            content_type: JS,
            body: include_bytes!(concat!("../../static/console/", $name)),
        }
    };
}

/// Every file the page loads: ES modules importing each other by relative
/// path, so they all live under the same versioned directory.
static ASSETS: [Asset; 14] = [
    script!("main.js"),
    script!("api.js"),
    script!("dom.js"),
    script!("i18n.js"),
    script!("buyer.js"),
    script!("orders.js"),
    script!("stock.js"),
    script!("reports.js"),
    script!("partners.js"),
    script!("catalog.js"),
    script!("hub.js"),
    script!("webhooks.js"),
    script!("sheets.js"),
    Asset {
        name: "console.css",
        content_type: CSS,
        body: include_bytes!("../../static/console/console.css"),
    },
];

fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| assets::version_of(&ASSETS))
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

async fn index(headers: HeaderMap) -> Response {
    assets::page(&headers, version(), page(), CSP)
}

async fn asset(Path((v, name)): Path<(String, String)>) -> Response {
    assets::asset(&ASSETS, version(), &v, &name, CSP)
}
