//! GraphiQL, for a person exploring the API in a browser (`GET /graphql`
//! asking for HTML). Its bundles are pinned copies served by the binary
//! (`static/graphiql/vendor/`), under the same strict policy as the
//! console: this origin's scripts only, nothing inline, no third party.
//! Pasted headers are never persisted in the browser's storage.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;

use super::assets::{self, Asset, CSS, JS};

/// Fonts and icons are data: URLs inside GraphiQL's stylesheet; its
/// editors set styles from script (allowed), and subscriptions use this
/// origin's WebSocket.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static ASSETS: [Asset; 6] = [
    Asset {
        name: "react.production.min.js",
        content_type: JS,
        body: include_bytes!("../../static/graphiql/vendor/react.production.min.js"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: JS,
        body: include_bytes!("../../static/graphiql/vendor/react-dom.production.min.js"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: JS,
        body: include_bytes!("../../static/graphiql/vendor/graphiql.min.js"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: CSS,
        body: include_bytes!("../../static/graphiql/vendor/graphiql.min.css"),
    },
    Asset {
        name: "graphiql-init.js",
        content_type: JS,
        body: include_bytes!("../../static/graphiql/graphiql-init.js"),
    },
    Asset {
        name: "graphiql-page.css",
        content_type: CSS,
        body: include_bytes!("../../static/graphiql/graphiql-page.css"),
    },
];

fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| assets::version_of(&ASSETS))
}

fn html() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        include_str!("../../static/graphiql/index.html").replace("{{version}}", version())
    })
}

/// The page (`GET /graphql` from a browser).
pub(super) fn page(headers: &HeaderMap) -> Response {
    assets::page(headers, version(), html(), CSP)
}

/// `GET /graphql/assets/{version}/{name}`.
pub(super) async fn asset(Path((v, name)): Path<(String, String)>) -> Response {
    assets::asset(&ASSETS, version(), &v, &name, CSP)
}
