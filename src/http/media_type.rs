//! Media types on `/graphql`: what the client sends and accepts.

use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Media {
    /// `application/json`: request errors come with 200.
    Json,
    /// `application/graphql-response+json`: request errors are 4xx.
    GraphqlResponse,
}

impl Media {
    pub(super) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::Json => "application/json",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// The media type to answer in, from `Accept` (none: `application/json`).
/// `None`: nothing the client accepts can be produced.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut best: Option<(f32, u8, Media)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Ties go to the more specific range, then to the newer type.
        let (rank, media) = match name.as_str() {
            GRAPHQL_RESPONSE_JSON => (3, Media::GraphqlResponse),
            "application/json" => (2, Media::Json),
            "application/*" | "*/*" => (1, Media::Json),
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, br, _)| (q, rank) > (bq, br)) {
            best = Some((q, rank, media));
        }
    }
    best.map(|(_, _, media)| media)
}

pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// `application/json`, with `charset=utf-8` or no charset.
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        && parts.all(|p| {
            let p = p.trim().to_ascii_lowercase();
            !p.starts_with("charset=") || p == "charset=utf-8" || p == "charset=\"utf-8\""
        })
}

pub(super) fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        AppError::bad_input("accept application/graphql-response+json or application/json"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).expect("header"));
        negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_preferred_media_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept(GRAPHQL_RESPONSE_JSON), Some(Media::GraphqlResponse));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(Media::Json)
        );
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
