use async_graphql::{Context, ID, Object};

use crate::auth::Scope;
use crate::domain::pagination::{DEFAULT_PAGE_SIZE, PageArgs};
use crate::domain::{catalog, partners};
use crate::graphql::context::{db, request_data};
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::catalog::{ProductFilterInput, ProductOrderInput};
use crate::graphql::loader::prime_product_page;
use crate::graphql::object::connection::{
    PageInfo, ProducerConnection, ProducerEdge, ProductConnection, ProductEdge,
};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::product::{ProducerNode, ProductNode};
use crate::ids::{self, Kind};

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Warehouses and distribution points that hold stock.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn locations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LocationNode>> {
        let locations = partners::locations(db(ctx)?).await?;
        Ok(locations
            .into_iter()
            .map(|l| LocationNode(std::sync::Arc::new(l)))
            .collect())
    }

    /// The certified catalogue as a Relay connection. Page forward with
    /// `first`/`after` or backward with `last`/`before`; `first` defaults to
    /// 20 and neither may exceed the maximum page size (100 by default).
    /// Cursors are opaque and bound to the `orderBy` they came from.
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogRead)",
        complexity = "1 + first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).max(0) as usize * child_complexity"
    )]
    #[allow(clippy::too_many_arguments)] // each argument is a GraphQL argument
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilterInput>,
        order_by: Option<ProductOrderInput>,
    ) -> async_graphql::Result<ProductConnection> {
        let data = request_data(ctx)?;
        let sort = order_by.unwrap_or_default().into_domain();
        let filter = filter.unwrap_or_default().into_domain()?;
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve(&sort.name(), data.max_page_size)?;
        let page = catalog::product_page(&data.db, &filter, sort, &spec).await?;
        prime_product_page(ctx, &page.items).await?;
        let cursors: Vec<String> = page
            .items
            .iter()
            .map(|p| sort.cursor_of(p).encode())
            .collect();
        let page_info = PageInfo::of(&page, &cursors);
        let edges = page
            .items
            .into_iter()
            .zip(cursors)
            .map(|(p, cursor)| ProductEdge {
                cursor,
                node: ProductNode(p),
            })
            .collect();
        Ok(ProductConnection {
            edges,
            page_info,
            filter,
        })
    }

    /// A product by its id.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let id = ids::decode(Kind::Product, &id, "id")?;
        Ok(Some(ProductNode(
            catalog::product_by_id(db(ctx)?, id).await?,
        )))
    }

    /// A product by its SKU.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_sku(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        Ok(Some(ProductNode(
            catalog::product_by_sku(db(ctx)?, &sku).await?,
        )))
    }

    /// A product by its GS1 GTIN (barcode); the check digit is validated.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_gtin(
        &self,
        ctx: &Context<'_>,
        gtin: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        Ok(Some(ProductNode(
            catalog::product_by_gtin(db(ctx)?, &gtin).await?,
        )))
    }

    /// What an OCOP QR stamp resolves to: the product, with its producer
    /// (origin) and certificate.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_trace_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        Ok(Some(ProductNode(
            catalog::product_by_trace_code(db(ctx)?, &code).await?,
        )))
    }

    /// OCOP producers as a Relay connection, optionally in one province
    /// (case and diacritics ignored).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogRead)",
        complexity = "1 + first.or(last).unwrap_or(DEFAULT_PAGE_SIZE).max(0) as usize * child_complexity"
    )]
    async fn producers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        province: Option<String>,
    ) -> async_graphql::Result<ProducerConnection> {
        let data = request_data(ctx)?;
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve("producer:id", data.max_page_size)?;
        let page = catalog::producer_page(&data.db, province.as_deref(), &spec).await?;
        let cursors: Vec<String> = page
            .items
            .iter()
            .map(|p| crate::domain::pagination::Cursor::by_id("producer:id", p.id).encode())
            .collect();
        let page_info = PageInfo::of(&page, &cursors);
        let edges = page
            .items
            .into_iter()
            .zip(cursors)
            .map(|(p, cursor)| ProducerEdge {
                cursor,
                node: ProducerNode(p),
            })
            .collect();
        Ok(ProducerConnection {
            edges,
            page_info,
            province,
        })
    }
}
