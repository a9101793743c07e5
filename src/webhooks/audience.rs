//! Who may receive what: a partner gets by webhook only what it could read
//! through the API with the scopes it is granted now. Its own orders'
//! events (the operator: every order's) with `orders:read`; stock and
//! low-stock with `inventory:read`; published products' changes with
//! `catalog:read` (never a draft's). A suspended partner gets nothing.

use entity::enums::{PartnerKind, PartnerStatus};
use entity::{partner, webhook_endpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::Topic;
use crate::auth::{Scope, ScopeSet};
use crate::error::AppResult;

/// An enabled endpoint and what its partner may read.
#[derive(Clone, Debug)]
pub struct Subscriber {
    pub endpoint_id: i64,
    pub partner_id: i64,
    operator: bool,
    topics: Vec<Topic>,
    grants: ScopeSet,
    pub created_at_ms: i64,
}

impl Subscriber {
    pub fn new(endpoint: &webhook_endpoint::Model, partner: &partner::Model) -> Subscriber {
        Subscriber {
            endpoint_id: endpoint.id,
            partner_id: partner.id,
            operator: partner.kind == PartnerKind::Operator,
            topics: Topic::parse_list(&endpoint.topics),
            grants: ScopeSet::parse(&partner.allowed_scopes),
            created_at_ms: endpoint.created_at_ms,
        }
    }

    fn has(&self, topic: Topic, scope: Scope) -> bool {
        self.topics.contains(&topic) && self.grants.contains(scope)
    }

    pub fn wants_order(&self, order_partner: i64) -> bool {
        self.has(Topic::OrderEvents, Scope::OrdersRead)
            && (self.operator || self.partner_id == order_partner)
    }

    /// `stock.changed` to STOCK_CHANGED, `stock.low` to LOW_STOCK.
    pub fn wants_stock(&self, low: bool) -> bool {
        if low {
            self.has(Topic::LowStock, Scope::InventoryRead)
        } else {
            self.has(Topic::StockChanged, Scope::InventoryRead)
        }
    }

    pub fn wants_product(&self, published: bool) -> bool {
        published && self.has(Topic::ProductChanged, Scope::CatalogRead)
    }
}

/// Every enabled endpoint of an active partner (one statement).
pub async fn subscribers(db: &impl ConnectionTrait) -> AppResult<Vec<Subscriber>> {
    let rows = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Enabled.eq(true))
        .find_also_related(partner::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, p)| {
            let p = p?;
            (p.status == PartnerStatus::Active).then(|| Subscriber::new(&e, &p))
        })
        .collect())
}

/// One endpoint as a subscriber, whether enabled or not (a replay, a ping).
pub async fn of_endpoint(
    db: &impl ConnectionTrait,
    endpoint: &webhook_endpoint::Model,
) -> AppResult<Option<Subscriber>> {
    let p = partner::Entity::find_by_id(endpoint.partner_id)
        .one(db)
        .await?;
    Ok(p.filter(|p| p.status == PartnerStatus::Active)
        .map(|p| Subscriber::new(endpoint, &p)))
}
