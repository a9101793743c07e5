use async_graphql::{Context, Object, SimpleObject};

use crate::auth::Scope;
use crate::domain::{catalog, inventory};
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::catalog::{AdjustStockInput, ReceiveStockInput};
use crate::graphql::object::product::ProductNode;
use crate::ids::{self, Kind};

/// The stock of one product at one location after a change.
#[derive(SimpleObject)]
pub struct StockUpdate {
    pub product: ProductNode,
    /// The location's level after the change.
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

#[derive(Default)]
pub struct InventoryMutation;

async fn stock_update(
    ctx: &Context<'_>,
    level: entity::inventory_level::Model,
) -> async_graphql::Result<StockUpdate> {
    let product = catalog::product_by_id(db(ctx)?, level.product_id).await?;
    Ok(StockUpdate {
        product: ProductNode(product),
        on_hand: level.on_hand,
        reserved: level.reserved,
        available: crate::domain::inventory::available(level.on_hand, level.reserved),
    })
}

#[Object]
impl InventoryMutation {
    /// Records units received into a location (operator; `inventory:write`).
    /// Writes a ledger row in the same transaction.
    #[graphql(
        guard = "ScopeGuard(Scope::InventoryWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn receive_stock(
        &self,
        ctx: &Context<'_>,
        input: ReceiveStockInput,
    ) -> async_graphql::Result<StockUpdate> {
        let product_id = ids::decode(Kind::Product, &input.product_id, "input.productId")?;
        let location_id = ids::decode(Kind::Location, &input.location_id, "input.locationId")?;
        let actor = viewer(ctx)?.partner_id();
        let level = inventory::receive_stock(
            db(ctx)?,
            actor,
            product_id,
            location_id,
            input.quantity,
            input.reason.as_deref(),
        )
        .await?;
        stock_update(ctx, level).await
    }

    /// Corrects on-hand at a location after a count, damage or loss
    /// (operator; `inventory:write`). Refused with INSUFFICIENT_STOCK when
    /// it would take on-hand below what is reserved.
    #[graphql(
        guard = "ScopeGuard(Scope::InventoryWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
    ) -> async_graphql::Result<StockUpdate> {
        let product_id = ids::decode(Kind::Product, &input.product_id, "input.productId")?;
        let location_id = ids::decode(Kind::Location, &input.location_id, "input.locationId")?;
        let actor = viewer(ctx)?.partner_id();
        let level = inventory::adjust_stock(
            db(ctx)?,
            actor,
            product_id,
            location_id,
            input.delta,
            Some(&input.reason),
        )
        .await?;
        stock_update(ctx, level).await
    }

    /// Sets the product's reorder point, 0 to 1,000,000 units (operator;
    /// `inventory:write`): below it at a location, `stockChanged` says
    /// `lowStock: true`. `null` falls back to the gateway's default
    /// (`DEFAULT_REORDER_POINT`).
    #[graphql(
        guard = "ScopeGuard(Scope::InventoryWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn set_reorder_point(
        &self,
        ctx: &Context<'_>,
        product_id: async_graphql::ID,
        units: Option<i64>,
    ) -> async_graphql::Result<ProductNode> {
        let product_id = ids::decode(Kind::Product, &product_id, "productId")?;
        Ok(ProductNode(
            inventory::set_reorder_point(db(ctx)?, product_id, units).await?,
        ))
    }
}
