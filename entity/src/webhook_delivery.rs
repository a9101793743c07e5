use sea_orm::entity::prelude::*;

/// One event for one endpoint, and how its sending went. Times are Unix
/// milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    /// `webhook-id`: the same on every attempt and replay of the event.
    pub message_id: String,
    pub event_type: String,
    /// The event's outbox cursor (what `orderEvents(since)` takes).
    pub cursor: Option<String>,
    /// The exact body sent on every attempt.
    pub payload: String,
    /// PENDING, DELIVERED or FAILED.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_ms: Option<i64>,
    pub lease_until_ms: Option<i64>,
    pub last_attempt_ms: Option<i64>,
    pub response_status: Option<i32>,
    pub failure_reason: Option<String>,
    pub duration_ms: Option<i32>,
    pub event_at_ms: i64,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
