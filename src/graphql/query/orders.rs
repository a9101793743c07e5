use async_graphql::{Context, ID, Object};
use entity::purchase_order;

use crate::auth::Scope;
use crate::domain::orders::{self, OrderFilter};
use crate::domain::pagination::{Cursor, PageArgs};
use crate::graphql::context::{db, request_data, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::order::OrderFilterInput;
use crate::graphql::object::connection::Connection;
use crate::graphql::object::order::OrderNode;
use crate::ids::{self, Kind};

const ORDERING: &str = "order:id:desc";

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// Your orders, newest first (the operator sees every partner's).
    #[graphql(
        guard = "ScopeGuard(Scope::OrdersRead)",
        complexity = "cost::connection(first, last, child_complexity)"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<OrderFilterInput>,
    ) -> async_graphql::Result<Connection<OrderNode, OrderFilter>> {
        let data = request_data(ctx)?;
        let filter = filter.unwrap_or_default().into_domain()?;
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve(ORDERING, data.max_page_size)?;
        let page = orders::order_page(&data.db, viewer(ctx)?, &filter, &spec).await?;
        let cursor = |o: &purchase_order::Model| Cursor::by_id(ORDERING, o.id).encode();
        Ok(Connection::build(page, cursor, OrderNode, filter))
    }

    /// One of your orders. Another partner's order is NOT_FOUND, exactly as
    /// a missing one.
    #[graphql(guard = "ScopeGuard(Scope::OrdersRead)")]
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<OrderNode>> {
        let id = ids::decode(Kind::Order, &id, "id")?;
        Ok(Some(OrderNode(
            orders::order_for(db(ctx)?, viewer(ctx)?, id).await?,
        )))
    }
}
