//! One error type for the whole gateway and its one path to the wire:
//! The contract's `extensions.code`, the HTTP status, headers and the log line.
//!
//! Policy: the caller's fault gets its code and a message written for a
//! human integrator. Our fault (database down, a bug, a timeout) gets
//! `INTERNAL` and a fixed message; the full chain is logged once, here, when
//! the error is turned into a GraphQL error or an HTTP response, inside the
//! request's span (which carries its request id). Nothing internal (SQL,
//! paths, driver text) ever reaches a client.
//!
//! An error inside execution becomes a GraphQL error (`ErrorExtensions`);
//! one before execution (token, body, rate, a database failure while
//! authenticating, a panic, a timeout) becomes an HTTP response
//! (`IntoResponse`). Both take their code and extensions from
//! [`AppError::extensions`].

use async_graphql::ErrorExtensions;
use axum::http::header::{RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const INSUFFICIENT_STOCK: &str = "INSUFFICIENT_STOCK";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const INTERNAL: &str = "INTERNAL";
}

/// Deliberately not `Display`: async-graphql converts any `Display` type into
/// an error *without* a code, so `?` on an `AppError` must go through our own
/// `From` below, which attaches `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    /// No valid credentials. HTTP 401 when the token itself is bad.
    Unauthenticated(String),
    /// Authenticated, but the effective scopes do not allow this.
    Forbidden(String),
    /// Missing, or not the caller's to see (indistinguishable on purpose).
    NotFound(String),
    /// The input breaks a rule; `field` names the offending input path.
    BadUserInput {
        message: String,
        field: Option<String>,
        /// More extensions a client can act on without parsing the
        /// message (`reason`, `productId`, `missing` ...).
        details: Vec<(&'static str, Value)>,
    },
    /// The request body is over `MAX_BODY_BYTES` (HTTP 413).
    BodyTooLarge {
        max_bytes: usize,
    },
    /// Not enough available stock to reserve a line.
    InsufficientStock {
        message: String,
        product_id: Option<String>,
        /// Units asked for, and (only to a caller that may see stock) units
        /// that can be had: extensions a client can act on without parsing
        /// the message.
        requested: Option<i64>,
        available: Option<i64>,
    },
    /// The request contradicts the current state (illegal transition,
    /// reused idempotency key, duplicate unique value).
    Conflict(String),
    /// A write named a version of a record older than the current one
    /// (code CONFLICT, `extensions.currentVersion`); nothing was written.
    StaleVersion {
        what: &'static str,
        current_version: i32,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    /// The replica is at its in-flight limit: retry shortly (HTTP 503,
    /// code RATE_LIMITED).
    Overloaded,
    QueryTooComplex(String),
    /// The request ran past `REQUEST_TIMEOUT_MS` and was dropped (its
    /// transaction, if any, rolled back). HTTP 503 with `Retry-After`.
    Timeout {
        after_ms: u64,
    },
    /// Our fault. The source is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: None,
            details: Vec::new(),
        }
    }
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.into()),
            details: Vec::new(),
        }
    }
    /// Adds an extension to a BAD_USER_INPUT (other errors are unchanged).
    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        if let Self::BadUserInput { details, .. } = &mut self {
            details.push((key, value.into()));
        }
        self
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(format!("{} not found", what.into()))
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(source))
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => code::UNAUTHENTICATED,
            Self::Forbidden(_) => code::FORBIDDEN,
            Self::NotFound(_) => code::NOT_FOUND,
            Self::BadUserInput { .. } | Self::BodyTooLarge { .. } => code::BAD_USER_INPUT,
            Self::InsufficientStock { .. } => code::INSUFFICIENT_STOCK,
            Self::Conflict(_) | Self::StaleVersion { .. } => code::CONFLICT,
            Self::RateLimited { .. } | Self::Overloaded => code::RATE_LIMITED,
            Self::QueryTooComplex(_) => code::QUERY_TOO_COMPLEX,
            Self::Timeout { .. } | Self::Internal(_) => code::INTERNAL,
        }
    }

    /// The HTTP status when the error answers a request before execution.
    /// (Errors inside execution travel in a 200 response, as GraphQL over
    /// HTTP's `application/json` requires.)
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded | Self::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound(_)
            | Self::BadUserInput { .. }
            | Self::InsufficientStock { .. }
            | Self::Conflict(_)
            | Self::StaleVersion { .. }
            | Self::QueryTooComplex(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Seconds a client should wait before retrying, when that is the cure.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Overloaded | Self::Timeout { .. } => Some(1),
            _ => None,
        }
    }

    /// `extensions` of the error as clients see it: always `code`, and the
    /// details a client can act on.
    pub fn extensions(&self) -> Vec<(&'static str, Value)> {
        let mut ext = vec![("code", json!(self.code()))];
        match self {
            Self::BadUserInput { field, details, .. } => {
                if let Some(field) = field {
                    ext.push(("field", json!(field)));
                }
                ext.extend(details.iter().cloned());
            }
            Self::StaleVersion {
                current_version, ..
            } => ext.push(("currentVersion", json!(current_version))),
            Self::InsufficientStock {
                product_id,
                requested,
                available,
                ..
            } => {
                if let Some(id) = product_id {
                    ext.push(("productId", json!(id)));
                }
                if let Some(n) = requested {
                    ext.push(("requestedQuantity", json!(n)));
                }
                if let Some(n) = available {
                    ext.push(("availableQuantity", json!(n)));
                }
            }
            _ => {}
        }
        if let Some(secs) = self.retry_after_secs() {
            ext.push(("retryAfterSeconds", json!(secs)));
        }
        ext
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m) => m.clone(),
            Self::StaleVersion {
                what,
                current_version,
            } => format!(
                "the {what} has changed since you read it: it is at version {current_version}; read it again and resend your change"
            ),
            Self::QueryTooComplex(m) => m.clone(),
            Self::BadUserInput { message, .. } | Self::InsufficientStock { message, .. } => {
                message.clone()
            }
            Self::RateLimited { retry_after_secs } => {
                format!("rate limit exceeded; retry after {retry_after_secs} s")
            }
            Self::Overloaded => "the gateway is at capacity; retry after 1 s".into(),
            Self::BodyTooLarge { max_bytes } => {
                format!("request body exceeds {max_bytes} bytes")
            }
            Self::Timeout { after_ms } => format!(
                "the request did not finish within {after_ms} ms and was stopped; retry after 1 s (a placeOrder retried with the same idempotency key never orders twice)"
            ),
            Self::Internal(_) => {
                "internal error; the x-request-id response header identifies it in our logs".into()
            }
        }
    }

    /// Logs our faults, once per error, in the current request's span.
    fn log_if_ours(&self) {
        if let Self::Timeout { after_ms } = self {
            tracing::error!(after_ms, "internal error: request timed out");
        }
        if let Self::Internal(source) = self {
            let mut chain = source.to_string();
            let mut next = source.source();
            while let Some(cause) = next {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                next = cause.source();
            }
            tracing::error!(error = %chain, "internal error");
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        // Counted wherever it surfaces, even where it is not retried.
        if crate::db::is_deadlock(&err) {
            crate::metrics::DEADLOCKS.inc();
        }
        Self::internal(err)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        self.log_if_ours();
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            for (key, value) in self.extensions() {
                if let Ok(value) = async_graphql::Value::from_json(value) {
                    ext.set(key, value);
                }
            }
        })
    }
}

impl AppError {
    /// The error for a whole request (no position in the document to
    /// point at), for refusals before or during validation.
    pub fn request_error(&self) -> async_graphql::ServerError {
        let err = self.extend();
        let mut server = async_graphql::ServerError::new(err.message, None);
        server.extensions = err.extensions;
        server
    }
}

/// A GraphQL-shaped body (`{"errors": [...]}`) with the error's status and
/// headers, for failures before execution.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_ours();
        let extensions: serde_json::Map<String, Value> = self
            .extensions()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let body =
            json!({ "errors": [{ "message": self.public_message(), "extensions": extensions }] });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Self::Unauthenticated(_) = self {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        if let Some(secs) = self.retry_after_secs() {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: AppError) -> String {
        let gql: async_graphql::Error = err.into();
        match gql.extensions.and_then(|e| e.get("code").cloned()) {
            Some(async_graphql::Value::String(s)) => s,
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_spec_code() {
        assert_eq!(
            code_of(AppError::Unauthenticated("x".into())),
            "UNAUTHENTICATED"
        );
        assert_eq!(code_of(AppError::Forbidden("x".into())), "FORBIDDEN");
        assert_eq!(code_of(AppError::not_found("order")), "NOT_FOUND");
        assert_eq!(code_of(AppError::bad_input("x")), "BAD_USER_INPUT");
        assert_eq!(
            code_of(AppError::BodyTooLarge { max_bytes: 1 }),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            code_of(AppError::InsufficientStock {
                message: "x".into(),
                product_id: None,
                requested: None,
                available: None,
            }),
            "INSUFFICIENT_STOCK"
        );
        assert_eq!(code_of(AppError::conflict("x")), "CONFLICT");
        assert_eq!(
            code_of(AppError::StaleVersion {
                what: "product",
                current_version: 3
            }),
            "CONFLICT"
        );
        assert_eq!(
            code_of(AppError::RateLimited {
                retry_after_secs: 1
            }),
            "RATE_LIMITED"
        );
        assert_eq!(code_of(AppError::Overloaded), "RATE_LIMITED");
        assert_eq!(
            code_of(AppError::QueryTooComplex("x".into())),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(code_of(AppError::Timeout { after_ms: 10 }), "INTERNAL");
        assert_eq!(
            code_of(AppError::internal(std::io::Error::other("db at /var/x"))),
            "INTERNAL"
        );
    }

    #[test]
    fn details_a_client_acts_on_travel_as_extensions() {
        let ext: Vec<_> = AppError::bad_field("input.lines.0.productId", "x")
            .with("reason", "CERTIFICATE_EXPIRED")
            .extensions()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        assert!(
            ext.contains(&("reason", "\"CERTIFICATE_EXPIRED\"".into())),
            "{ext:?}"
        );
        assert!(ext.contains(&("field", "\"input.lines.0.productId\"".into())));
        let stale = AppError::StaleVersion {
            what: "product",
            current_version: 3,
        };
        assert!(stale.extensions().contains(&("currentVersion", json!(3))));
        assert!(stale.public_message().contains("version 3"));
        // Other errors take no details.
        assert_eq!(
            AppError::conflict("x")
                .with("reason", "y")
                .extensions()
                .len(),
            1
        );
    }

    #[test]
    fn errors_before_execution_carry_status_headers_and_retry_hints() {
        let cases = [
            (AppError::Unauthenticated("x".into()), 401, None),
            (AppError::bad_input("x"), 400, None),
            (AppError::BodyTooLarge { max_bytes: 1 }, 413, None),
            (
                AppError::RateLimited {
                    retry_after_secs: 7,
                },
                429,
                Some(7),
            ),
            (AppError::Overloaded, 503, Some(1)),
            (AppError::Timeout { after_ms: 10 }, 503, Some(1)),
            (AppError::internal(std::io::Error::other("x")), 500, None),
        ];
        for (err, status, retry) in cases {
            let ext = err.extensions();
            let retry_ext = ext
                .iter()
                .find(|(k, _)| *k == "retryAfterSeconds")
                .and_then(|(_, v)| v.as_u64());
            assert_eq!(retry_ext, retry, "{err:?}");
            let unauthenticated = matches!(err, AppError::Unauthenticated(_));
            let response = err.into_response();
            assert_eq!(response.status().as_u16(), status);
            let header = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            assert_eq!(header, retry);
            assert_eq!(
                response.headers().contains_key(WWW_AUTHENTICATE),
                unauthenticated
            );
        }
    }

    #[test]
    fn internal_errors_hide_their_source() {
        let err = AppError::from(sea_orm::DbErr::Custom(
            "SELECT secret FROM /etc/passwd".into(),
        ));
        let gql: async_graphql::Error = err.into();
        assert!(!gql.message.contains("SELECT"));
        assert!(!gql.message.contains("/etc"));
    }
}
