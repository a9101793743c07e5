use async_graphql::{Context, Object};
use entity::partner;

use crate::auth::Scope;
use crate::domain::pagination::{Cursor, PageArgs};
use crate::domain::partners;
use crate::graphql::context::request_data;
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::object::connection::{AllPartners, Connection};
use crate::graphql::object::partner::PartnerNode;

const ORDERING: &str = "partner:id";

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// Every partner, by id (`partners:admin`, the operator).
    #[graphql(
        guard = "ScopeGuard(Scope::PartnersAdmin)",
        complexity = "cost::connection(first, last, child_complexity)"
    )]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<PartnerNode, AllPartners>> {
        let data = request_data(ctx)?;
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve(ORDERING, data.max_page_size)?;
        let page = partners::partner_page(&data.db, &spec).await?;
        let cursor = |p: &partner::Model| Cursor::by_id(ORDERING, p.id).encode();
        Ok(Connection::build(page, cursor, PartnerNode, AllPartners))
    }
}
