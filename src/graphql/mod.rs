//! The GraphQL schema. `build_schema` needs no database, so the SDL can be
//! exported anywhere (`ocop-gateway schema`); per-request state (database,
//! caller, loaders) is attached to each request by the HTTP handler.

use async_graphql::{MergedObject, Schema};

pub mod codes;
pub mod context;
pub mod cost;
pub mod guard;
pub mod input;
pub mod loader;
pub mod measure;
pub mod mutation;
pub mod object;
pub mod query;
pub mod response_order;
pub mod scalars;
pub mod subscription;

#[derive(MergedObject, Default)]
pub struct Query(
    query::viewer::ViewerQuery,
    query::catalog::CatalogQuery,
    query::orders::OrderQuery,
    query::partners::PartnerQuery,
    query::reports::ReportQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    mutation::orders::OrderMutation,
    mutation::inventory::InventoryMutation,
    mutation::partners::PartnerMutation,
);

pub type GatewaySchema = Schema<Query, Mutation, subscription::Subscription>;

/// Limits that protect the gateway from over-deep and over-costly queries.
#[derive(Clone, Copy, Debug)]
pub struct SchemaLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// `INTROSPECTION=off`: `__schema` and `__type` answer nothing.
    pub introspection: bool,
    /// How long a `lowStock` answer is shared (`REPORT_CACHE_MS`).
    pub report_cache: std::time::Duration,
}

pub fn build_schema(limits: SchemaLimits) -> GatewaySchema {
    let builder = Schema::build(
        Query::default(),
        Mutation::default(),
        subscription::Subscription,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    // Bounds on what the parser accepts, before any resolver runs.
    .limit_recursive_depth(32)
    .limit_directives(8)
    .data(crate::domain::reports::LowStockCache::new(
        limits.report_cache,
    ))
    .extension(cost::QueryCost);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// The SDL as published in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(SchemaLimits {
        max_depth: 1,
        max_complexity: 1,
        introspection: true,
        report_cache: std::time::Duration::ZERO,
    })
    .sdl()
}
