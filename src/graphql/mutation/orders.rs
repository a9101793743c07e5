use async_graphql::{Context, ID, Object};

use crate::auth::Scope;
use crate::domain::orders;
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::fulfilment::{ConfirmOrderInput, DeliverOrderInput, ShipOrderInput};
use crate::graphql::input::order::PlaceOrderInput;
use crate::graphql::object::order::{OrderNode, PlaceOrderPayload};
use crate::ids::{self, Kind};

#[derive(Default)]
pub struct OrderMutation;

fn order_id(id: &ID) -> async_graphql::Result<i64> {
    Ok(ids::decode(Kind::Order, id, "id")?)
}

#[Object]
impl OrderMutation {
    /// Places a purchase order (`orders:write`): all lines are reserved, or
    /// none (INSUFFICIENT_STOCK names the product). Replaying the same
    /// request with the same `idempotencyKey` returns the first order; the
    /// same key with a different body is CONFLICT.
    #[graphql(
        guard = "ScopeGuard(Scope::OrdersWrite)",
        complexity = "cost::PLACE_ORDER + child_complexity"
    )]
    async fn place_order(
        &self,
        ctx: &Context<'_>,
        input: PlaceOrderInput,
    ) -> async_graphql::Result<PlaceOrderPayload> {
        let input = input.into_domain()?;
        let placed = orders::place_order(db(ctx)?, viewer(ctx)?, input).await?;
        Ok(PlaceOrderPayload {
            order: OrderNode(placed.order),
            replayed: placed.replayed,
        })
    }

    /// Cancels your order while PLACED or CONFIRMED (`orders:write`; the
    /// operator may cancel any partner's) and releases what it still holds:
    /// after a partial shipment, only what has not shipped.
    #[graphql(
        guard = "ScopeGuard(Scope::OrdersWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<OrderNode> {
        let order =
            orders::cancel(db(ctx)?, viewer(ctx)?, order_id(&id)?, reason.as_deref()).await?;
        Ok(OrderNode(order))
    }

    /// Acknowledges a PLACED order (operator; `fulfillment:write`), the EDI
    /// 855: each line accepted whole (the default), in part or rejected
    /// (`acceptedQuantity: 0`), with a promised ship date. Units not
    /// accepted are released at once. Nothing accepted: the order ends
    /// CANCELLED. Otherwise it is CONFIRMED.
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn confirm_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<ConfirmOrderInput>,
    ) -> async_graphql::Result<OrderNode> {
        let ack = input.unwrap_or_default().into_domain()?;
        let order = orders::acknowledge(db(ctx)?, viewer(ctx)?, order_id(&id)?, ack).await?;
        Ok(OrderNode(order))
    }

    /// Ships a CONFIRMED order, in one or several shipments (operator;
    /// `fulfillment:write`), the EDI 856: packages with SSCC labels, food
    /// and beverage lines with lot and expiry. The order is SHIPPED once
    /// every accepted unit has shipped. Without `input`, everything not yet
    /// shipped ships at once (with no package record).
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn ship_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<ShipOrderInput>,
    ) -> async_graphql::Result<OrderNode> {
        let shipment = input.map(ShipOrderInput::into_domain).transpose()?;
        let order = orders::ship(db(ctx)?, viewer(ctx)?, order_id(&id)?, shipment).await?;
        Ok(OrderNode(order))
    }

    /// Records the delivery of a SHIPPED order (operator;
    /// `fulfillment:write`): what the store received per line (lines not
    /// named: in full). A shortfall is kept per line and returns no stock.
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn deliver_order(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: Option<DeliverOrderInput>,
    ) -> async_graphql::Result<OrderNode> {
        let received = input.unwrap_or_default().into_domain()?;
        let order = orders::deliver(db(ctx)?, viewer(ctx)?, order_id(&id)?, received).await?;
        Ok(OrderNode(order))
    }
}
