//! The GraphQL schema. `build_schema` needs no database, so the SDL can be
//! exported anywhere (`ocop-gateway schema`); per-request state (database,
//! caller, loaders) is attached to each request by the HTTP handler.

use async_graphql::{MergedObject, Schema};

pub mod admit;
pub mod codes;
pub mod context;
pub mod cost;
pub mod documents;
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
    query::node::NodeQuery,
    query::catalog::CatalogQuery,
    query::orders::OrderQuery,
    query::partners::PartnerQuery,
    query::reports::ReportQuery,
    query::webhooks::WebhookQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    mutation::orders::OrderMutation,
    mutation::inventory::InventoryMutation,
    mutation::partners::PartnerMutation,
    mutation::catalog::CatalogMutation,
    mutation::webhooks::WebhookMutation,
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

/// The schema that executes: no extension (see `admit`), and only the
/// fast validation, as every document it runs passed the full rules in
/// the checker first. Its complexity limit is a backstop.
pub fn build_schema(limits: SchemaLimits) -> GatewaySchema {
    let builder = builder(limits)
        .limit_complexity(limits.max_complexity)
        .validation_mode(async_graphql::ValidationMode::Fast)
        .data(crate::domain::reports::LowStockCache::new(
            limits.report_cache,
        ));
    finish(builder, limits)
}

/// The schema that validates with every rule and computes the cost, and
/// never executes (`admit::StopAfterValidation`).
pub fn build_checker(limits: SchemaLimits) -> GatewaySchema {
    finish(
        builder(limits).extension(admit::StopAfterValidation),
        limits,
    )
}

type Builder = async_graphql::SchemaBuilder<Query, Mutation, subscription::Subscription>;

fn builder(limits: SchemaLimits) -> Builder {
    Schema::build(
        Query::default(),
        Mutation::default(),
        subscription::Subscription,
    )
    .limit_depth(limits.max_depth)
    // Bounds on what the parser accepts, before any resolver runs.
    .limit_recursive_depth(32)
    .limit_directives(8)
}

fn finish(builder: Builder, limits: SchemaLimits) -> GatewaySchema {
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
