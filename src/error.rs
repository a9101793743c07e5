//! One error type for the whole gateway and its mapping to SPEC's
//! `extensions.code`.
//!
//! Policy: the caller's fault gets its code and a message written for a
//! human integrator. Our fault (database down, a bug) gets `INTERNAL` and a
//! fixed message; the full chain is logged once, here at the boundary, with
//! the request id from the surrounding span. Nothing internal (SQL, paths,
//! driver text) ever reaches a client.

use async_graphql::ErrorExtensions;

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
    },
    /// Not enough available stock to reserve a line.
    InsufficientStock {
        message: String,
        product_id: Option<String>,
    },
    /// The request contradicts the current state (illegal transition,
    /// reused idempotency key, duplicate unique value).
    Conflict(String),
    RateLimited {
        retry_after_secs: u64,
    },
    /// The replica is at its in-flight limit: retry shortly (HTTP 503,
    /// code RATE_LIMITED).
    Overloaded,
    QueryTooComplex(String),
    /// Our fault. The source is logged, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: None,
        }
    }
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.into()),
        }
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
            Self::BadUserInput { .. } => code::BAD_USER_INPUT,
            Self::InsufficientStock { .. } => code::INSUFFICIENT_STOCK,
            Self::Conflict(_) => code::CONFLICT,
            Self::RateLimited { .. } | Self::Overloaded => code::RATE_LIMITED,
            Self::QueryTooComplex(_) => code::QUERY_TOO_COMPLEX,
            Self::Internal(_) => code::INTERNAL,
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m) => m.clone(),
            Self::QueryTooComplex(m) => m.clone(),
            Self::BadUserInput { message, .. } | Self::InsufficientStock { message, .. } => {
                message.clone()
            }
            Self::RateLimited { retry_after_secs } => {
                format!("rate limit exceeded; retry after {retry_after_secs} s")
            }
            Self::Overloaded => "the gateway is at capacity; retry after 1 s".into(),
            Self::Internal(_) => {
                "internal error; the x-request-id response header identifies it in our logs".into()
            }
        }
    }

    fn log_if_ours(&self) {
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
            ext.set("code", self.code());
            match self {
                Self::BadUserInput {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                Self::InsufficientStock {
                    product_id: Some(id),
                    ..
                } => ext.set("productId", id.as_str()),
                Self::RateLimited { retry_after_secs } => {
                    ext.set("retryAfterSeconds", *retry_after_secs)
                }
                _ => {}
            }
        })
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
            code_of(AppError::InsufficientStock {
                message: "x".into(),
                product_id: None
            }),
            "INSUFFICIENT_STOCK"
        );
        assert_eq!(code_of(AppError::conflict("x")), "CONFLICT");
        assert_eq!(
            code_of(AppError::RateLimited {
                retry_after_secs: 1
            }),
            "RATE_LIMITED"
        );
        assert_eq!(
            code_of(AppError::QueryTooComplex("x".into())),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(
            code_of(AppError::internal(std::io::Error::other("db at /var/x"))),
            "INTERNAL"
        );
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
