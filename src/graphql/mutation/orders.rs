use async_graphql::{Context, ID, Object};

use crate::auth::Scope;
use crate::domain::orders::{self, Transition};
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::order::PlaceOrderInput;
use crate::graphql::object::order::{OrderNode, PlaceOrderPayload};
use crate::ids::{self, Kind};

#[derive(Default)]
pub struct OrderMutation;

async fn step(
    ctx: &Context<'_>,
    id: ID,
    step: Transition,
    reason: Option<String>,
) -> async_graphql::Result<OrderNode> {
    let id = ids::decode(Kind::Order, &id, "id")?;
    let order = orders::transition(db(ctx)?, viewer(ctx)?, id, step, reason.as_deref()).await?;
    Ok(OrderNode(order))
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

    /// Cancels your order while PLACED or CONFIRMED (`orders:write`) and
    /// releases its reserved stock.
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
        step(ctx, id, Transition::Cancel, reason).await
    }

    /// PLACED → CONFIRMED (operator; `fulfillment:write`).
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn confirm_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        step(ctx, id, Transition::Confirm, None).await
    }

    /// CONFIRMED → SHIPPED (operator; `fulfillment:write`): the reserved
    /// units leave on-hand.
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn ship_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        step(ctx, id, Transition::Ship, None).await
    }

    /// SHIPPED → DELIVERED (operator; `fulfillment:write`).
    #[graphql(
        guard = "ScopeGuard(Scope::FulfillmentWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn deliver_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<OrderNode> {
        step(ctx, id, Transition::Deliver, None).await
    }
}
