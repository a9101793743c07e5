//! A partner's receivers: registering, changing, rotating the secret,
//! removing; the delivery log; redelivering and replaying. A partner
//! manages its own endpoints (another's is NOT_FOUND, as a missing one);
//! the operator manages every partner's.

use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{Status, Topic, Webhooks, client, now_ms, payload, secrets};
use crate::auth::{Scope, Viewer};
use crate::db::{Db, begin_write};
use crate::error::{AppError, AppResult};

/// The old secret keeps signing beside the new one this long.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;
const MAX_DESCRIPTION: usize = 500;

pub struct EndpointInput {
    pub url: Option<String>,
    pub topics: Option<Vec<Topic>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// An endpoint with the secret that only this answer shows.
pub struct WithSecret {
    pub endpoint: webhook_endpoint::Model,
    pub secret: String,
}

/// What a topic needs the partner to be able to read through the API.
fn topic_scope(topic: Topic) -> Scope {
    match topic {
        Topic::OrderEvents => Scope::OrdersRead,
        Topic::StockChanged | Topic::LowStock => Scope::InventoryRead,
        Topic::ProductChanged => Scope::CatalogRead,
    }
}

fn check_topics(viewer: &Viewer, topics: &[Topic]) -> AppResult<()> {
    if topics.is_empty() {
        return Err(AppError::bad_field(
            "input.topics",
            "name at least one topic",
        ));
    }
    let grants = crate::auth::ScopeSet::parse(&viewer.partner.allowed_scopes);
    for t in topics {
        let scope = topic_scope(*t);
        if !grants.contains(scope) {
            return Err(AppError::bad_field(
                "input.topics",
                format!(
                    "{} needs `{scope}`, which this partner is not granted",
                    t.as_str()
                ),
            ));
        }
    }
    Ok(())
}

async fn check_target(wh: &Webhooks, url: &str) -> AppResult<String> {
    let refused = |why: client::Refused| {
        AppError::bad_field(
            "input.url",
            format!("this URL cannot receive webhooks: {why}"),
        )
        .with("reason", "TARGET_REFUSED")
    };
    let parsed = client::check_url(url, wh.policy).map_err(refused)?;
    client::check_resolves(&parsed, wh.policy)
        .await
        .map_err(refused)?;
    Ok(parsed.to_string())
}

fn check_description(text: &str) -> AppResult<String> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::bad_field(
            "input.description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(text.to_owned())
}

pub async fn create(
    wh: &Webhooks,
    db: &Db,
    viewer: &Viewer,
    url: &str,
    topics: Vec<Topic>,
    description: &str,
) -> AppResult<WithSecret> {
    check_topics(viewer, &topics)?;
    let url = check_target(wh, url).await?;
    let description = check_description(description)?;
    let secret = secrets::generate()?;
    let sealed = wh.key.seal(&secret)?;
    let (txn, slot) = begin_write(db).await?;
    let count = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::PartnerId.eq(viewer.partner_id()))
        .count(&txn)
        .await?;
    if count >= u64::from(wh.config.webhook_max_endpoints) {
        return Err(AppError::bad_field(
            "input",
            format!(
                "a partner has at most {} webhook endpoints; delete one first",
                wh.config.webhook_max_endpoints
            ),
        )
        .with("reason", "TOO_MANY_ENDPOINTS"));
    }
    let now = now_ms();
    let endpoint = webhook_endpoint::ActiveModel {
        partner_id: Set(viewer.partner_id()),
        url: Set(url),
        description: Set(description),
        topics: Set(Topic::store_list(&topics)),
        enabled: Set(true),
        secret_sealed: Set(sealed),
        created_at_ms: Set(now),
        updated_at_ms: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    slot.commit(txn).await?;
    Ok(WithSecret { endpoint, secret })
}

/// The endpoint if the caller may manage it; NOT_FOUND otherwise.
pub async fn find(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
) -> AppResult<webhook_endpoint::Model> {
    webhook_endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|e| viewer.is_operator() || e.partner_id == viewer.partner_id())
        .ok_or_else(|| AppError::not_found("webhook endpoint"))
}

/// The caller's endpoints (the operator: every partner's), oldest first.
pub async fn list(db: &Db, viewer: &Viewer) -> AppResult<Vec<webhook_endpoint::Model>> {
    let mut q = webhook_endpoint::Entity::find().order_by_asc(webhook_endpoint::Column::Id);
    if !viewer.is_operator() {
        q = q.filter(webhook_endpoint::Column::PartnerId.eq(viewer.partner_id()));
    }
    Ok(q.limit(1_000).all(db.conn()).await?)
}

pub async fn update(
    wh: &Webhooks,
    db: &Db,
    viewer: &Viewer,
    id: i64,
    input: EndpointInput,
) -> AppResult<webhook_endpoint::Model> {
    let url = match &input.url {
        Some(u) => Some(check_target(wh, u).await?),
        None => None,
    };
    if let Some(t) = &input.topics {
        check_topics(viewer, t)?;
    }
    let description = input
        .description
        .as_deref()
        .map(check_description)
        .transpose()?;
    let (txn, slot) = begin_write(db).await?;
    let current = find(&txn, viewer, id).await?;
    let mut e: webhook_endpoint::ActiveModel = current.into();
    if let Some(u) = url {
        e.url = Set(u);
    }
    if let Some(t) = input.topics {
        e.topics = Set(Topic::store_list(&t));
    }
    if let Some(d) = description {
        e.description = Set(d);
    }
    if let Some(on) = input.enabled {
        e.enabled = Set(on);
        if on {
            // Turned back on by the partner: the reason it was off is history.
            e.disabled_reason = Set(None);
            e.failing_since_ms = Set(None);
        }
    }
    e.updated_at_ms = Set(now_ms());
    let e = e.update(&txn).await?;
    slot.commit(txn).await?;
    if e.enabled {
        wh.wake.notify_one();
    }
    Ok(e)
}

/// A new secret; the previous one keeps signing for `ROTATION_OVERLAP_MS`.
pub async fn rotate(wh: &Webhooks, db: &Db, viewer: &Viewer, id: i64) -> AppResult<WithSecret> {
    let secret = secrets::generate()?;
    let sealed = wh.key.seal(&secret)?;
    let (txn, slot) = begin_write(db).await?;
    let current = find(&txn, viewer, id).await?;
    let previous = current.secret_sealed.clone();
    let now = now_ms();
    let mut e: webhook_endpoint::ActiveModel = current.into();
    e.secret_sealed = Set(sealed);
    e.previous_sealed = Set(Some(previous));
    e.previous_until_ms = Set(Some(now + ROTATION_OVERLAP_MS));
    e.updated_at_ms = Set(now);
    let endpoint = e.update(&txn).await?;
    slot.commit(txn).await?;
    Ok(WithSecret { endpoint, secret })
}

/// Removes the endpoint and its log.
pub async fn delete(db: &Db, viewer: &Viewer, id: i64) -> AppResult<()> {
    let (txn, slot) = begin_write(db).await?;
    let e = find(&txn, viewer, id).await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(e.id))
        .exec(&txn)
        .await?;
    webhook_endpoint::Entity::delete_by_id(e.id)
        .exec(&txn)
        .await?;
    slot.commit(txn).await?;
    Ok(())
}

/// One page of an endpoint's log, newest first, before delivery `before`.
pub async fn deliveries(
    db: &Db,
    endpoint_id: i64,
    first: u64,
    before: Option<i64>,
    status: Option<Status>,
) -> AppResult<Vec<webhook_delivery::Model>> {
    let mut q = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(webhook_delivery::Column::Id);
    if let Some(b) = before {
        q = q.filter(webhook_delivery::Column::Id.lt(b));
    }
    if let Some(s) = status {
        q = q.filter(webhook_delivery::Column::Status.eq(s.as_str()));
    }
    Ok(q.limit(first).all(db.conn()).await?)
}

/// Sends a delivery again as soon as possible, with the same `webhook-id`
/// and body (a FAILED one gets a fresh retry schedule).
pub async fn redeliver(
    wh: &Webhooks,
    db: &Db,
    viewer: &Viewer,
    delivery_id: i64,
) -> AppResult<webhook_delivery::Model> {
    let (txn, slot) = begin_write(db).await?;
    let d = webhook_delivery::Entity::find_by_id(delivery_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("webhook delivery"))?;
    find(&txn, viewer, d.endpoint_id)
        .await
        .map_err(|_| AppError::not_found("webhook delivery"))?;
    let mut a: webhook_delivery::ActiveModel = d.into();
    a.status = Set(Status::Pending.as_str().to_owned());
    a.attempts = Set(0);
    a.next_attempt_ms = Set(Some(now_ms()));
    a.lease_until_ms = Set(None);
    let d = a.update(&txn).await?;
    slot.commit(txn).await?;
    wh.wake.notify_one();
    Ok(d)
}

/// Queues a test event (`webhook.ping`) for the endpoint.
pub async fn ping(
    wh: &Webhooks,
    db: &Db,
    viewer: &Viewer,
    id: i64,
) -> AppResult<webhook_delivery::Model> {
    let e = find(db.conn(), viewer, id).await?;
    let at = crate::domain::clock::now();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let message = payload::ping(e.id, at, &nonce);
    let (txn, slot) = begin_write(db).await?;
    let d = super::fanout::queue(&txn, e.id, &message, now_ms()).await?;
    slot.commit(txn).await?;
    wh.wake.notify_one();
    Ok(d)
}
