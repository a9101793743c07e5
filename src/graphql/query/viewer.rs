use async_graphql::{Context, Object};

use crate::graphql::context::viewer;
use crate::graphql::object::partner::ViewerNode;

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The calling partner, its ship-to stores and its effective scopes.
    /// Needs only a valid token.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<ViewerNode> {
        Ok(ViewerNode(viewer(ctx)?.clone()))
    }
}
