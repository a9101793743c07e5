use async_graphql::{Context, Object, SimpleObject};

use crate::domain::catalog::{self, ProductFilter};
use crate::domain::pagination::Page;
use crate::graphql::context::db;
use crate::graphql::object::product::{ProducerNode, ProductNode};

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow `endCursor`.
    pub has_next_page: bool,
    /// True when items precede `startCursor`. (When paging forward this is
    /// true whenever `after` was given, as Relay allows.)
    pub has_previous_page: bool,
    /// Cursor of the first edge of this page; pass as `before` to go back.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge of this page; pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn of<T>(page: &Page<T>, cursors: &[String]) -> Self {
        PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }
}

/// One product in a page, with its cursor.
#[derive(SimpleObject)]
pub struct ProductEdge {
    /// Opaque; pass as `after` or `before`.
    pub cursor: String,
    pub node: ProductNode,
}

/// A page of products (Relay connection).
pub struct ProductConnection {
    pub edges: Vec<ProductEdge>,
    pub page_info: PageInfo,
    pub filter: ProductFilter,
}

#[Object]
impl ProductConnection {
    async fn edges(&self) -> &[ProductEdge] {
        &self.edges
    }
    /// The products of this page, without cursors.
    async fn nodes(&self) -> Vec<&ProductNode> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Products matching the filter over all pages (one extra query, run
    /// only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(catalog::product_count(db(ctx)?, &self.filter).await?)
    }
}

#[derive(SimpleObject)]
pub struct ProducerEdge {
    pub cursor: String,
    pub node: ProducerNode,
}

/// A page of producers (Relay connection).
pub struct ProducerConnection {
    pub edges: Vec<ProducerEdge>,
    pub page_info: PageInfo,
    pub province: Option<String>,
}

#[Object]
impl ProducerConnection {
    async fn edges(&self) -> &[ProducerEdge] {
        &self.edges
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Producers matching the filter over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(catalog::producer_count(db(ctx)?, self.province.as_deref()).await?)
    }
}
