//! ocop-gateway: the GraphQL API through which retail-chain partners read
//! Vietnam's certified OCOP catalogue, see stock and place purchase orders.
//!
//! `build_app` returns the whole HTTP application as a `Router`, so tests
//! drive exactly what `serve` runs.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod live;
pub mod media;
pub mod metrics;
pub mod outbound;
pub mod partner_cache;
pub mod rate_limit;
pub mod recent;
pub mod seed;
pub mod telemetry;
pub mod webhooks;

pub use crate::http::build_app;
pub use crate::http::state::AppState;
