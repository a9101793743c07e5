//! One Relay connection for every list: `edges { cursor node }`, `nodes`,
//! `pageInfo` and `totalCount`. A resolver builds it from a domain `Page`
//! with [`Connection::build`]; what differs between lists (how to count
//! every row) is a [`Count`].

use async_graphql::{Context, Object, OutputType, SimpleObject};

use crate::domain::catalog::{self, ProductFilter};
use crate::domain::orders::{self, OrderFilter};
use crate::domain::pagination::Page;
use crate::domain::partners;
use crate::error::AppResult;
use crate::graphql::context::{db, viewer};
use crate::graphql::object::order::OrderNode;
use crate::graphql::object::partner::PartnerNode;
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

/// One item of a page, with its cursor.
#[derive(SimpleObject)]
#[graphql(concrete(name = "ProductEdge", params(ProductNode)))]
#[graphql(concrete(name = "ProducerEdge", params(ProducerNode)))]
#[graphql(concrete(name = "OrderEdge", params(OrderNode)))]
#[graphql(concrete(name = "PartnerEdge", params(PartnerNode)))]
pub struct Edge<N: OutputType> {
    /// Opaque; pass as `after` or `before`.
    pub cursor: String,
    pub node: N,
}

/// Counts every row of a connection, over all pages. Run only when a
/// client selects `totalCount`.
pub trait Count: Send + Sync {
    fn count(&self, ctx: &Context<'_>) -> impl Future<Output = AppResult<u64>> + Send;
}

impl Count for ProductFilter {
    async fn count(&self, ctx: &Context<'_>) -> AppResult<u64> {
        catalog::product_count(db(ctx)?, self).await
    }
}

impl Count for OrderFilter {
    async fn count(&self, ctx: &Context<'_>) -> AppResult<u64> {
        orders::order_count(db(ctx)?, viewer(ctx)?, self).await
    }
}

/// The producers filter: an optional province.
pub struct ProducerProvince(pub Option<String>);

impl Count for ProducerProvince {
    async fn count(&self, ctx: &Context<'_>) -> AppResult<u64> {
        catalog::producer_count(db(ctx)?, self.0.as_deref()).await
    }
}

/// Every partner.
pub struct AllPartners;

impl Count for AllPartners {
    async fn count(&self, ctx: &Context<'_>) -> AppResult<u64> {
        partners::partner_count(db(ctx)?).await
    }
}

/// A page of a list (Relay connection).
pub struct Connection<N: OutputType, C: Count> {
    edges: Vec<Edge<N>>,
    page_info: PageInfo,
    count: C,
}

impl<N: OutputType, C: Count> Connection<N, C> {
    /// The connection of `page`: `cursor` gives each row's cursor, `node`
    /// its GraphQL object, `count` counts all pages when asked.
    pub fn build<T>(
        page: Page<T>,
        cursor: impl Fn(&T) -> String,
        node: impl Fn(T) -> N,
        count: C,
    ) -> Self {
        let edges: Vec<Edge<N>> = page
            .items
            .into_iter()
            .map(|item| Edge {
                cursor: cursor(&item),
                node: node(item),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        };
        Self {
            edges,
            page_info,
            count,
        }
    }
}

#[Object(
    concrete(name = "ProductConnection", params(ProductNode, ProductFilter)),
    concrete(name = "ProducerConnection", params(ProducerNode, ProducerProvince)),
    concrete(name = "OrderConnection", params(OrderNode, OrderFilter)),
    concrete(name = "PartnerConnection", params(PartnerNode, AllPartners))
)]
impl<N: OutputType, C: Count> Connection<N, C>
where
    Edge<N>: OutputType,
{
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }
    /// The items of this page, without cursors.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// Items matching the filter over all pages (one extra query, run only
    /// when asked for; it costs 25 whatever the page size).
    #[graphql(complexity = 0)]
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(self.count.count(ctx).await?)
    }
}
