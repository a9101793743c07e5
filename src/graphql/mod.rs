//! The GraphQL schema. `build_schema` needs no database, so the SDL can be
//! exported anywhere (`ocop-gateway schema`); per-request state (database,
//! caller, loaders) is attached to each request by the HTTP handler.

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::domain::locations::LocationDirectory;
use crate::error::{AppError, AppResult};
use crate::rate_limit::Budget;

pub mod codes;
pub mod cost;
pub mod guard;
pub use crate::ids;
pub mod input;
pub mod loader;
pub mod mutation;
pub mod object;
pub mod query;
pub mod scalars;

#[derive(MergedObject, Default)]
pub struct Query(
    query::viewer::ViewerQuery,
    query::catalog::CatalogQuery,
    query::orders::OrderQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    mutation::orders::OrderMutation,
    mutation::inventory::InventoryMutation,
);

pub type GatewaySchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits that protect the gateway from over-deep and over-costly queries.
#[derive(Clone, Copy, Debug)]
pub struct SchemaLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

pub fn build_schema(limits: SchemaLimits) -> GatewaySchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        // Bounds on what the parser accepts, before any resolver runs.
        .limit_recursive_depth(32)
        .limit_directives(8)
        .extension(cost::QueryCost)
        .finish()
}

/// The SDL as published in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(SchemaLimits {
        max_depth: 1,
        max_complexity: 1,
    })
    .sdl()
}

/// What every request carries into the resolvers.
pub struct RequestData {
    pub db: DatabaseConnection,
    pub viewer: Option<Viewer>,
    /// The caller's rate budget; the query's cost is spent from it.
    pub budget: Option<Arc<Budget>>,
    pub locations: Arc<LocationDirectory>,
    pub max_page_size: u32,
}

pub fn request_data<'a>(ctx: &'a Context<'_>) -> AppResult<&'a RequestData> {
    ctx.data::<RequestData>()
        .map_err(|_| AppError::internal(std::io::Error::other("request data missing")))
}

pub fn db<'a>(ctx: &'a Context<'_>) -> AppResult<&'a DatabaseConnection> {
    Ok(&request_data(ctx)?.db)
}

/// The caller, or UNAUTHENTICATED when the request carried no token.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Viewer> {
    request_data(ctx)?.viewer.as_ref().ok_or_else(|| {
        AppError::Unauthenticated("a bearer token is required: Authorization: Bearer <JWT>".into())
    })
}

pub fn loader<'a, T: Send + Sync + 'static>(
    ctx: &'a Context<'_>,
) -> AppResult<&'a loader::Cached<T>> {
    ctx.data::<loader::Cached<T>>()
        .map_err(|_| AppError::internal(std::io::Error::other("data loader missing")))
}

/// Attaches the per-request state and fresh DataLoaders (their caches must
/// never outlive one request, nor be shared between partners).
pub fn prepare(request: async_graphql::Request, data: RequestData) -> async_graphql::Request {
    let db = data.db.clone();
    let locations = data.locations.clone();
    loader::attach(&db, &locations, request.data(data))
}
