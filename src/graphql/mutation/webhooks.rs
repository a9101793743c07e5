use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};

use crate::auth::Scope;
use crate::graphql::context::{db, viewer, webhooks};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::object::webhook::{
    WebhookDeliveryNode, WebhookEndpointNode, WebhookEndpointWithSecret, WebhookTopic,
};
use crate::ids::{self, Kind};
use crate::webhooks::{endpoints, fanout};

#[derive(Default)]
pub struct WebhookMutation;

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// `https://` and a public address (outside development).
    pub url: String,
    pub topics: Vec<WebhookTopic>,
    #[graphql(default)]
    pub description: String,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    pub topics: Option<Vec<WebhookTopic>>,
    pub description: Option<String>,
    /// Turning it back on sends what queued meanwhile.
    pub enabled: Option<bool>,
}

fn endpoint_id(id: &ID) -> async_graphql::Result<i64> {
    Ok(ids::decode(Kind::WebhookEndpoint, id, "id")?)
}

fn topics(t: Vec<WebhookTopic>) -> Vec<crate::webhooks::Topic> {
    t.into_iter().map(WebhookTopic::domain).collect()
}

/// A partner's webhook endpoints (`webhooks:manage`; the operator: any
/// partner's). Calls are signed as Standard Webhooks sign them.
#[Object]
impl WebhookMutation {
    /// Registers a receiver; the answer holds its secret, shown only here.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let created = endpoints::create(
            webhooks(ctx)?,
            db(ctx)?,
            viewer(ctx)?,
            &input.url,
            topics(input.topics),
            &input.description,
        )
        .await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpointNode(created.endpoint),
            secret: created.secret,
        })
    }

    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointNode> {
        let input = endpoints::EndpointInput {
            url: input.url,
            topics: input.topics.map(topics),
            description: input.description,
            enabled: input.enabled,
        };
        Ok(WebhookEndpointNode(
            endpoints::update(
                webhooks(ctx)?,
                db(ctx)?,
                viewer(ctx)?,
                endpoint_id(&id)?,
                input,
            )
            .await?,
        ))
    }

    /// A new secret; the old one keeps signing beside it for 24 hours, so
    /// the receiver can switch without missing a call.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEndpointWithSecret> {
        let r =
            endpoints::rotate(webhooks(ctx)?, db(ctx)?, viewer(ctx)?, endpoint_id(&id)?).await?;
        Ok(WebhookEndpointWithSecret {
            endpoint: WebhookEndpointNode(r.endpoint),
            secret: r.secret,
        })
    }

    /// Removes the endpoint and its delivery log; true when done.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION"
    )]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<bool> {
        webhooks(ctx)?;
        endpoints::delete(db(ctx)?, viewer(ctx)?, endpoint_id(&id)?).await?;
        Ok(true)
    }

    /// Sends a `webhook.ping` test event now (to an enabled endpoint).
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn ping_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookDeliveryNode> {
        Ok(WebhookDeliveryNode(
            endpoints::ping(webhooks(ctx)?, db(ctx)?, viewer(ctx)?, endpoint_id(&id)?).await?,
        ))
    }

    /// Sends one delivery again at once, with the same `webhook-id`.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        delivery_id: ID,
    ) -> async_graphql::Result<WebhookDeliveryNode> {
        let id = ids::decode(Kind::WebhookDelivery, &delivery_id, "deliveryId")?;
        Ok(WebhookDeliveryNode(
            endpoints::redeliver(webhooks(ctx)?, db(ctx)?, viewer(ctx)?, id).await?,
        ))
    }

    /// Queues again every event since `since` that the endpoint may
    /// receive (at most 10,000), with their original `webhook-id`s, so a
    /// receiver that lost data deduplicates what it already has. Returns
    /// how many were queued.
    #[graphql(
        guard = "ScopeGuard(Scope::WebhooksManage)",
        complexity = "cost::MUTATION * 4"
    )]
    async fn replay_webhooks(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        since: DateTime<Utc>,
    ) -> async_graphql::Result<i32> {
        let id = ids::decode(Kind::WebhookEndpoint, &endpoint_id, "endpointId")?;
        let (wh, db) = (webhooks(ctx)?, db(ctx)?);
        let endpoint = endpoints::find(db.conn(), viewer(ctx)?, id).await?;
        let n = fanout::replay(wh, db, &endpoint, since).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
