//! Relay's `node(id:)`: any object with a global id, refetched by it, with
//! the same permissions as the field that first returned it.

use std::sync::Arc;

use async_graphql::{Context, ID, Interface, Object};

use crate::auth::Scope;
use crate::domain::{catalog, orders, partners};
use crate::error::AppError;
use crate::graphql::context::{db, loader, viewer};
use crate::graphql::loader::{LocationLoader, ProducerLoader, StoreLoader};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::order::OrderNode;
use crate::graphql::object::partner::{PartnerNode, StoreNode};
use crate::graphql::object::product::{ProducerNode, ProductNode};
use crate::ids::{self, Kind};

/// An object that can be refetched by its global id with `node(id:)`.
/// (Order lines, shipments and contract prices are read through their
/// order or partner.)
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The global id: opaque, stable."))]
// One value per `node` call, built and resolved at once: boxing the
// product would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Node {
    Product(ProductNode),
    Producer(ProducerNode),
    Location(LocationNode),
    Order(OrderNode),
    Partner(PartnerNode),
    Store(StoreNode),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, if the token may see it: `null` when
    /// there is none (or it belongs to another partner). Needs the scope
    /// its own field needs (`catalog:read` for products, producers and
    /// locations, `orders:read` for orders); a partner is your own, or any
    /// with `partners:admin`; a store is your own, or any for the operator
    /// (as the stores of the operator's orders are).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let viewer = viewer(ctx)?;
        let Some((kind, n)) = ids::decode_any(&id) else {
            return Err(AppError::bad_field("id", "`id` is not a valid id").into());
        };
        let found = match kind {
            Kind::Product => {
                viewer.require(Scope::CatalogRead)?;
                match catalog::visible_product(db(ctx)?, catalog::Audience::of(viewer), n).await {
                    Ok(p) => Some(Node::Product(ProductNode(p))),
                    Err(AppError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Kind::Producer => {
                viewer.require(Scope::CatalogRead)?;
                loader::<ProducerLoader>(ctx)?
                    .load_one(n)
                    .await?
                    .map(|p| Node::Producer(ProducerNode(p)))
            }
            Kind::Location => {
                viewer.require(Scope::CatalogRead)?;
                loader::<LocationLoader>(ctx)?
                    .load_one(n)
                    .await?
                    .map(|l| Node::Location(LocationNode(Arc::new(l))))
            }
            Kind::Order => {
                viewer.require(Scope::OrdersRead)?;
                match orders::order_for(db(ctx)?, viewer, n).await {
                    Ok(o) => Some(Node::Order(OrderNode(o))),
                    Err(AppError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Kind::Partner => {
                partners::may_read_partner(viewer, n)?;
                match partners::find(db(ctx)?.conn(), n).await {
                    Ok(p) => Some(Node::Partner(PartnerNode(p))),
                    Err(AppError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                }
            }
            Kind::Store => loader::<StoreLoader>(ctx)?
                .load_one(n)
                .await?
                .filter(|s| partners::may_see_stores_of(viewer, s.partner_id))
                .map(|s| Node::Store(StoreNode(s))),
            Kind::OrderLine
            | Kind::Shipment
            | Kind::ContractPrice
            | Kind::WebhookEndpoint
            | Kind::WebhookDelivery => {
                return Err(AppError::bad_field(
                    "id",
                    format!(
                        "a {} is not a Node: read it through its order or partner",
                        kind.name()
                    ),
                )
                .into());
            }
        };
        Ok(found)
    }
}
