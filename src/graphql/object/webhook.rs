//! Webhook endpoints and their delivery log. Never kept by the response
//! cache (`no_cache`): the log moves without a commit the cache hears.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};

use crate::graphql::context::db;
use crate::graphql::cost;
use crate::ids::{self, Kind};
use crate::webhooks::{self, Status, Topic};

/// What an endpoint receives.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookTopic {
    /// `order.placed`, `order.confirmed`, `order.updated`, `order.shipped`,
    /// `order.delivered`, `order.cancelled` (needs `orders:read`).
    OrderEvents,
    /// `stock.changed` (needs `inventory:read`).
    StockChanged,
    /// `stock.low`: available below the reorder point (needs `inventory:read`).
    LowStock,
    /// `product.created`, `product.updated`, ... of published products
    /// (needs `catalog:read`).
    ProductChanged,
}

impl WebhookTopic {
    pub fn domain(self) -> Topic {
        match self {
            WebhookTopic::OrderEvents => Topic::OrderEvents,
            WebhookTopic::StockChanged => Topic::StockChanged,
            WebhookTopic::LowStock => Topic::LowStock,
            WebhookTopic::ProductChanged => Topic::ProductChanged,
        }
    }
    fn of(t: Topic) -> Self {
        match t {
            Topic::OrderEvents => WebhookTopic::OrderEvents,
            Topic::StockChanged => WebhookTopic::StockChanged,
            Topic::LowStock => WebhookTopic::LowStock,
            Topic::ProductChanged => WebhookTopic::ProductChanged,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum WebhookDeliveryStatus {
    /// Not delivered yet: waiting for its first attempt or a retry.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Given up: retries ran out, or the endpoint answered 410.
    Failed,
}

impl WebhookDeliveryStatus {
    pub fn domain(self) -> Status {
        match self {
            WebhookDeliveryStatus::Pending => Status::Pending,
            WebhookDeliveryStatus::Delivered => Status::Delivered,
            WebhookDeliveryStatus::Failed => Status::Failed,
        }
    }
}

fn at(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

pub struct WebhookEndpointNode(pub webhook_endpoint::Model);

/// A partner's receiver of signed webhook calls.
#[Object(name = "WebhookEndpoint", cache_control(no_cache))]
impl WebhookEndpointNode {
    async fn id(&self) -> ID {
        ids::encode(Kind::WebhookEndpoint, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn topics(&self) -> Vec<WebhookTopic> {
        Topic::parse_list(&self.0.topics)
            .into_iter()
            .map(WebhookTopic::of)
            .collect()
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Why the gateway disabled it (a 410 answer, failing for longer than
    /// the operator's limit); null when enabled or disabled by the partner.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Since when every attempt has failed; null while it is healthy.
    async fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.0.failing_since_ms.and_then(at)
    }
    /// Until when the secret before the last rotation still signs.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_until_ms
            .filter(|until| *until > webhooks::now_ms())
            .and_then(at)
    }
    /// The partner it belongs to.
    async fn partner_id(&self) -> ID {
        ids::encode(Kind::Partner, self.0.partner_id)
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        at(self.0.created_at_ms)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        at(self.0.updated_at_ms)
    }
    /// The delivery log, newest first; `after` is the last id of the
    /// previous page. Kept `WEBHOOK_LOG_RETENTION` (30 days by default).
    #[graphql(complexity = "cost::connection(first, None, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<ID>,
        status: Option<WebhookDeliveryStatus>,
    ) -> async_graphql::Result<Vec<WebhookDeliveryNode>> {
        let first = first.unwrap_or(20);
        if !(0..=100).contains(&first) {
            return Err(crate::error::AppError::bad_field("first", "between 0 and 100").into());
        }
        let before = after
            .map(|a| ids::decode(Kind::WebhookDelivery, &a, "after"))
            .transpose()?;
        let rows = webhooks::endpoints::deliveries(
            db(ctx)?,
            self.0.id,
            first as u64,
            before,
            status.map(WebhookDeliveryStatus::domain),
        )
        .await?;
        Ok(rows.into_iter().map(WebhookDeliveryNode).collect())
    }
}

pub struct WebhookDeliveryNode(pub webhook_delivery::Model);

/// One event sent (or to be sent) to one endpoint.
#[Object(name = "WebhookDelivery", cache_control(no_cache))]
impl WebhookDeliveryNode {
    async fn id(&self) -> ID {
        ids::encode(Kind::WebhookDelivery, self.0.id)
    }
    /// The `webhook-id` header: the same on every attempt and replay.
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }
    /// `order.placed`, `stock.changed`, `webhook.ping`, ...
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// The event's outbox cursor (as in the payload).
    async fn cursor(&self) -> Option<&str> {
        self.0.cursor.as_deref()
    }
    async fn status(&self) -> WebhookDeliveryStatus {
        match Status::parse(&self.0.status) {
            Status::Pending => WebhookDeliveryStatus::Pending,
            Status::Delivered => WebhookDeliveryStatus::Delivered,
            Status::Failed => WebhookDeliveryStatus::Failed,
        }
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn last_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_attempt_ms.and_then(at)
    }
    /// When it is tried next (PENDING only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        if Status::parse(&self.0.status) == Status::Pending {
            self.0.next_attempt_ms.and_then(at)
        } else {
            None
        }
    }
    /// The HTTP status of the last answer (the body is never kept).
    async fn response_status(&self) -> Option<i32> {
        self.0.response_status
    }
    /// Why the last attempt failed, in words.
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// How long the last attempt took, in milliseconds.
    async fn duration_ms(&self) -> Option<i32> {
        self.0.duration_ms
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        at(self.0.created_at_ms)
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at_ms.and_then(at)
    }
    /// The exact body sent, as the receiver got it.
    async fn payload(&self) -> &str {
        &self.0.payload
    }
}

/// A new endpoint (or a rotated secret) and the secret that signs its
/// calls. The secret is shown only in this answer: keep it.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpointNode,
    /// `whsec_` + base64 of 32 random bytes, as Standard Webhooks libraries take it.
    pub secret: String,
}
