//! The bodies receivers get: `{ "type", "timestamp", "data" }`, with the
//! resource's state when the event was fanned out and the event's outbox
//! `cursor` (what `orderEvents(since:)` and `replayWebhooks(since:)`
//! take), so a receiver orders by cursor and resynchronises through the
//! API. Ids are the API's opaque ids.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::ids::{Kind, opaque};
use crate::live::feed::{OrderEvent, StockEvent};
use crate::live::product_feed::ProductEvent;

/// One message, as every endpoint it goes to receives it.
#[derive(Clone, Debug)]
pub struct Message {
    /// `webhook-id`: one per event, the same on every attempt and replay.
    pub id: String,
    pub event_type: String,
    pub cursor: Option<String>,
    pub body: String,
    pub at: DateTime<Utc>,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn message(
    id: String,
    event_type: String,
    cursor: Option<String>,
    at: DateTime<Utc>,
    data: Value,
) -> Message {
    // Written by hand so the keys come in the documented order (a
    // `json!` map sorts them), `type` first for whoever reads a log.
    let body = format!(
        r#"{{"type":{},"timestamp":{},"data":{}}}"#,
        Value::from(event_type.as_str()),
        Value::from(rfc3339(at)),
        data
    );
    Message {
        id,
        event_type,
        cursor,
        body,
        at,
    }
}

fn status_word(s: entity::enums::OrderStatus) -> &'static str {
    use entity::enums::OrderStatus::*;
    match s {
        Placed => "placed",
        Confirmed => "confirmed",
        Shipped => "shipped",
        Delivered => "delivered",
        Cancelled => "cancelled",
    }
}

/// `order.placed`, `order.confirmed`, ...; a change within a status
/// (a line acknowledged, a package shipped) is `order.updated`.
pub fn order(e: &OrderEvent) -> Message {
    let to = status_word(e.event.to_status);
    let event_type = match e.event.from_status {
        Some(from) if from == e.event.to_status => "order.updated".to_owned(),
        _ => format!("order.{to}"),
    };
    let o = &e.order;
    let cursor = e.position.cursor();
    let data = json!({
        "cursor": cursor,
        "order": {
            "id": opaque(Kind::Order, o.id),
            "status": to.to_ascii_uppercase(),
            "buyerReference": o.buyer_reference,
            "storeId": opaque(Kind::Store, o.store_id),
            "total": o.total_vnd,
            "requestedDeliveryDate": o.requested_delivery_date.to_string(),
            "updatedAt": rfc3339(o.updated_at),
        },
        "from": e.event.from_status.map(|s| status_word(s).to_ascii_uppercase()),
        "to": to.to_ascii_uppercase(),
        "reason": e.event.reason,
    });
    message(
        format!("evt_o{}_{}", e.position.tx, e.position.id),
        event_type,
        Some(cursor),
        e.at(),
        data,
    )
}

/// `stock.changed`, or `stock.low` (the same level, to LOW_STOCK
/// subscribers) when available is below the reorder point.
pub fn stock(e: &StockEvent, low: bool) -> Message {
    let cursor = e.position.cursor();
    let data = json!({
        "cursor": cursor,
        "productId": opaque(Kind::Product, e.product_id),
        "locationId": opaque(Kind::Location, e.location_id),
        "onHand": e.on_hand,
        "reserved": e.reserved,
        "available": e.available(),
        "reorderPoint": e.reorder_point,
        "low": e.low(),
    });
    let (kind, letter) = if low {
        ("stock.low", 'l')
    } else {
        ("stock.changed", 's')
    };
    message(
        format!("evt_{letter}{}_{}", e.position.tx, e.position.id),
        kind.to_owned(),
        Some(cursor),
        e.at,
        data,
    )
}

/// `product.created`, `product.updated`, `product.approved`, ... after the
/// catalogue's audit action; with the product as published now.
pub fn product(e: &ProductEvent, p: &entity::product::Model) -> Message {
    let cursor = e.position.cursor();
    let action = match e.action.as_str() {
        "create" | "created" => "created",
        "update" | "updated" => "updated",
        other => other,
    };
    let data = json!({
        "cursor": cursor,
        "product": {
            "id": opaque(Kind::Product, p.id),
            "sku": p.sku,
            "nameVi": p.name_vi,
            "gtin": p.gtin,
            "version": e.version,
        },
        "action": e.action,
    });
    message(
        format!("evt_p{}_{}", e.position.tx, e.position.id),
        format!("product.{action}"),
        Some(cursor),
        e.at,
        data,
    )
}

/// A test event (`pingWebhookEndpoint`): no outbox behind it.
pub fn ping(endpoint_id: i64, at: DateTime<Utc>, nonce: &str) -> Message {
    message(
        format!("evt_ping_{endpoint_id}_{nonce}"),
        "webhook.ping".to_owned(),
        None,
        at,
        json!({ "endpointId": opaque(Kind::Partner, endpoint_id), "message": "ping from ocop-gateway" }),
    )
}
