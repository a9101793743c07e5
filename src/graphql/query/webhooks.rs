use async_graphql::{Context, Object};

use crate::auth::Scope;
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::object::webhook::WebhookEndpointNode;
use crate::webhooks::endpoints;

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The caller's webhook endpoints (the operator: every partner's), oldest first.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::UNPAGED_LIST * child_complexity"
    )]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<WebhookEndpointNode>> {
        Ok(endpoints::list(db(ctx)?, viewer(ctx)?)
            .await?
            .into_iter()
            .map(WebhookEndpointNode)
            .collect())
    }
}
