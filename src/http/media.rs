//! `POST /media`: a catalogue writer uploads a product image (the body is
//! the file: JPEG, PNG or WebP, at most 5 MiB; the bytes decide its type,
//! not `Content-Type`) and gets `{ "id", "url", "width", "height" }`.
//! `GET /media/{id}`: anyone reads it; the id is the file's SHA-256, so the
//! answer never changes and is cached for good.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::caller::authenticate;
use crate::domain::catalog::images;
use crate::error::AppError;
use crate::http::state::AppState;

pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let caller = match authenticate(&state, &headers).await {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            return AppError::Unauthenticated("a bearer token is required".into()).into_response();
        }
        Err(e) => return e.into_response(),
    };
    let Ok(body) = body else {
        return AppError::BodyTooLarge {
            max_bytes: crate::media::MAX_BYTES,
        }
        .into_response();
    };
    match images::upload(&state.db, &state.media, caller.viewer(), body).await {
        Ok(m) => (
            StatusCode::CREATED,
            Json(json!({
                "id": m.id,
                "url": format!("/media/{}", m.id),
                "phoneUrl": images::phone_url(&m.id),
                "width": m.width,
                "height": m.height,
                "contentType": m.content_type,
            })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn serve(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    file(&state, &id, false).await
}

/// `GET /media/{id}/480`: the phone copy, JPEG at most 480 px a side (the
/// original itself when it is no larger).
pub async fn serve_phone(
    State(state): State<AppState>,
    Path((id, side)): Path<(String, String)>,
) -> Response {
    if side != crate::media::PHONE_SIDE.to_string() {
        return (StatusCode::NOT_FOUND, "no such size").into_response();
    }
    file(&state, &id, true).await
}

async fn file(state: &AppState, id: &str, phone: bool) -> Response {
    match images::read(state.db.conn(), &state.media, id, phone).await {
        Ok(Some((content_type, bytes))) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                h.insert(CONTENT_TYPE, v);
            }
            h.insert(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            );
            h.insert(
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                HeaderName::from_static("content-security-policy"),
                HeaderValue::from_static("default-src 'none'; sandbox"),
            );
            response
        }
        // A plain 404: this is a file, not an API answer.
        Ok(None) => (StatusCode::NOT_FOUND, "no such media").into_response(),
        Err(e) => e.into_response(),
    }
}
