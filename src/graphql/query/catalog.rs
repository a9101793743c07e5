use async_graphql::{Context, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::auth::Scope;
use crate::domain::{catalog, partners};
use crate::error::AppError;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::object::connection::PageInfo;
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::product::{ProductEdge, ProductNode};
use crate::graphql::{db, request_data};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

#[derive(Default)]
pub struct CatalogQuery;

fn cursor_of(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("p1:{id}"))
}

fn parse_cursor(cursor: &str) -> Result<i64, AppError> {
    let invalid = || AppError::bad_field("after", "`after` is not a cursor from this connection");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("p1:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(invalid)
}

/// A page of products (Relay connection).
pub struct ProductConnection {
    edges: Vec<ProductEdge>,
    page_info: PageInfo,
}

#[Object]
impl ProductConnection {
    async fn edges(&self) -> &[ProductEdge] {
        &self.edges
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Number of products matching the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(catalog::product_count(db(ctx)?).await?)
    }
}

#[Object]
impl CatalogQuery {
    /// Warehouses and distribution points that hold stock.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn locations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LocationNode>> {
        let locations = partners::locations(db(ctx)?).await?;
        Ok(locations.into_iter().map(LocationNode).collect())
    }

    /// The certified catalogue, a page at a time. `first` defaults to 20 and
    /// may not exceed the gateway's maximum page size (100 by default).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogRead)",
        complexity = "1 + first.unwrap_or(DEFAULT_PAGE_SIZE).max(0) as usize * child_complexity"
    )]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ProductConnection> {
        let data = request_data(ctx)?;
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if first < 0 || first as u32 > data.max_page_size {
            return Err(AppError::bad_field(
                "first",
                format!("`first` must be between 0 and {}", data.max_page_size),
            )
            .into());
        }
        let after = after.as_deref().map(parse_cursor).transpose()?;
        let page = catalog::product_page(&data.db, after, first as u64).await?;
        let edges: Vec<ProductEdge> = page
            .products
            .into_iter()
            .map(|p| ProductEdge {
                cursor: cursor_of(p.id),
                node: ProductNode(p),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: after.is_some(),
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Ok(ProductConnection { edges, page_info })
    }
}
