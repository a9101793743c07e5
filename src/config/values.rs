//! The configuration's values: the secret wrapper that never prints, and
//! the choices a flag can take.

use std::fmt;

use clap::ValueEnum;

/// Signing secret used only when no `JWT_SECRET` is set in development mode.
/// Its value says what it is, and production mode refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str =
    "ocop-gateway-DEVELOPMENT-ONLY-secret-never-use-in-production";

/// The shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "EdDSA")]
    EdDsa,
}

/// How SQLite syncs its write-ahead log (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SqliteSync {
    /// Every commit is on disk when acknowledged (survives power loss).
    Full,
    /// Commits survive a killed process, not an OS crash or power loss:
    /// the last acknowledged orders can be lost. Faster.
    Normal,
}

/// Who may introspect the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Introspection {
    /// Anyone, without a token (metered by client address).
    Public,
    /// Partners with a valid token; requests without one are refused.
    Authenticated,
    /// Nobody (GraphiQL's docs and autocomplete stop working).
    Off,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
