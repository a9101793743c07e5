//! What a partner pays: the one place that answers "what does this partner
//! pay for this quantity of this product". A partner with a contract valid
//! today (business day, Asia/Ho_Chi_Minh) pays its contract price, with its
//! quantity rules and price breaks; anyone else pays the list price with
//! the product's minimum order quantity.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{contract_price, contract_price_break, product};
use sea_orm::ActiveValue::NotSet;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::{self, Db};
use crate::domain::orders::MAX_LINE_QUANTITY;
use crate::domain::{clock, money, partners};
use crate::error::{AppError, AppResult};

/// A lower unit price from a quantity on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceBreak {
    pub minimum_quantity: i64,
    pub unit_price: i64,
}

/// What the caller pays for one product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub unit_price: i64,
    pub minimum_quantity: i64,
    pub quantity_increment: i64,
    /// Ascending by quantity.
    pub price_breaks: Vec<PriceBreak>,
    /// The contract it comes from; None: the list price.
    pub contract_id: Option<i64>,
}

impl Offer {
    pub fn list(product: &product::Model) -> Offer {
        Offer {
            unit_price: product.wholesale_price_vnd,
            minimum_quantity: i64::from(product.min_order_qty),
            quantity_increment: 1,
            price_breaks: Vec::new(),
            contract_id: None,
        }
    }

    /// The unit price for `quantity`: the deepest break it reaches.
    pub fn unit_price_for(&self, quantity: i64) -> i64 {
        self.price_breaks
            .iter()
            .rev()
            .find(|b| quantity >= b.minimum_quantity)
            .map_or(self.unit_price, |b| b.unit_price)
    }

    /// The quantity rules: at least the minimum, in whole increments.
    pub fn check_quantity(&self, sku: &str, quantity: i64) -> AppResult<()> {
        if quantity < self.minimum_quantity {
            return Err(AppError::bad_input(format!(
                "{sku} has a minimum order quantity of {} units",
                self.minimum_quantity
            )));
        }
        if quantity % self.quantity_increment != 0 {
            return Err(AppError::bad_input(format!(
                "{sku} is sold in multiples of {} units",
                self.quantity_increment
            )));
        }
        Ok(())
    }
}

/// The offers `partner_id` gets today for `products`: its contract where
/// one is in force, else the list price.
pub async fn offers(
    db: &impl ConnectionTrait,
    partner_id: i64,
    products: &[product::Model],
) -> AppResult<HashMap<i64, Offer>> {
    let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let mut contracts = contract_offers(db, partner_id, &ids).await?;
    Ok(products
        .iter()
        .map(|p| {
            (
                p.id,
                contracts.remove(&p.id).unwrap_or_else(|| Offer::list(p)),
            )
        })
        .collect())
}

/// The contract offers `partner_id` has in force today for `product_ids`
/// (products without one are absent), in at most two statements.
pub async fn contract_offers(
    db: &impl ConnectionTrait,
    partner_id: i64,
    product_ids: &[i64],
) -> AppResult<HashMap<i64, Offer>> {
    let today = clock::business_today();
    let contracts = contract_price::Entity::find()
        .filter(contract_price::Column::PartnerId.eq(partner_id))
        .filter(contract_price::Column::ProductId.is_in(product_ids.iter().copied()))
        .filter(contract_price::Column::ValidFrom.lte(today))
        .order_by_asc(contract_price::Column::ValidFrom)
        .order_by_asc(contract_price::Column::Id)
        .all(db)
        .await?;
    // The latest contract in force wins.
    let mut current: HashMap<i64, contract_price::Model> = HashMap::new();
    for c in contracts {
        if c.valid_to.is_none_or(|to| to >= today) {
            current.insert(c.product_id, c);
        }
    }
    let mut breaks: HashMap<i64, Vec<PriceBreak>> = HashMap::new();
    if !current.is_empty() {
        for b in contract_price_break::Entity::find()
            .filter(contract_price_break::Column::ContractId.is_in(current.values().map(|c| c.id)))
            .order_by_asc(contract_price_break::Column::MinimumQuantity)
            .all(db)
            .await?
        {
            breaks.entry(b.contract_id).or_default().push(PriceBreak {
                minimum_quantity: i64::from(b.minimum_quantity),
                unit_price: b.unit_price_vnd,
            });
        }
    }
    Ok(current
        .into_iter()
        .map(|(product_id, c)| {
            let offer = Offer {
                unit_price: c.unit_price_vnd,
                minimum_quantity: i64::from(c.minimum_quantity),
                quantity_increment: i64::from(c.quantity_increment),
                price_breaks: breaks.remove(&c.id).unwrap_or_default(),
                contract_id: Some(c.id),
            };
            (product_id, offer)
        })
        .collect())
}

/// A contract price to record.
#[derive(Clone, Debug)]
pub struct NewContract {
    pub partner_id: i64,
    pub product_id: i64,
    pub unit_price: i64,
    pub minimum_quantity: i64,
    pub quantity_increment: i64,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub price_breaks: Vec<PriceBreak>,
}

fn validate(c: &NewContract) -> AppResult<()> {
    let field = |name: &str| format!("input.{name}");
    if !(0..=money::MAX_VND).contains(&c.unit_price) {
        return Err(AppError::bad_field(
            field("unitPrice"),
            "a price is 0 or more đồng",
        ));
    }
    if !(1..=MAX_LINE_QUANTITY).contains(&c.minimum_quantity) {
        return Err(AppError::bad_field(
            field("minimumQuantity"),
            format!("`minimumQuantity` is 1 to {MAX_LINE_QUANTITY}"),
        ));
    }
    if !(1..=MAX_LINE_QUANTITY).contains(&c.quantity_increment) {
        return Err(AppError::bad_field(
            field("quantityIncrement"),
            format!("`quantityIncrement` is 1 to {MAX_LINE_QUANTITY}"),
        ));
    }
    if c.valid_to.is_some_and(|to| to < c.valid_from) {
        return Err(AppError::bad_field(
            field("validTo"),
            "`validTo` is before `validFrom`",
        ));
    }
    if c.price_breaks.len() > 10 {
        return Err(AppError::bad_field(
            field("priceBreaks"),
            "at most 10 price breaks",
        ));
    }
    let mut last = c.minimum_quantity;
    for (i, b) in c.price_breaks.iter().enumerate() {
        if b.minimum_quantity <= last || b.minimum_quantity > MAX_LINE_QUANTITY {
            return Err(AppError::bad_field(
                format!("input.priceBreaks.{i}.minimumQuantity"),
                "breaks start above the minimum quantity, in ascending order",
            ));
        }
        if !(0..=money::MAX_VND).contains(&b.unit_price) {
            return Err(AppError::bad_field(
                format!("input.priceBreaks.{i}.unitPrice"),
                "a price is 0 or more đồng",
            ));
        }
        last = b.minimum_quantity;
    }
    Ok(())
}

/// Records a contract price (and its breaks) for a retail partner; from
/// `validFrom` on it replaces any earlier contract for the same product.
pub async fn set_contract_price(
    db: &Db,
    actor_partner_id: i64,
    contract: NewContract,
) -> AppResult<contract_price::Model> {
    validate(&contract)?;
    let (txn, slot) = db::begin_write(db).await?;
    let partner = partners::find(&txn, contract.partner_id).await?;
    if product::Entity::find_by_id(contract.product_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AppError::not_found("product"));
    }
    let row = contract_price::ActiveModel {
        id: NotSet,
        partner_id: Set(contract.partner_id),
        product_id: Set(contract.product_id),
        unit_price_vnd: Set(contract.unit_price),
        minimum_quantity: Set(contract.minimum_quantity as i32),
        quantity_increment: Set(contract.quantity_increment as i32),
        valid_from: Set(contract.valid_from),
        valid_to: Set(contract.valid_to),
        actor_partner_id: Set(actor_partner_id),
        created_at: Set(clock::now()),
    }
    .insert(&txn)
    .await?;
    if !contract.price_breaks.is_empty() {
        contract_price_break::Entity::insert_many(contract.price_breaks.iter().map(|b| {
            contract_price_break::ActiveModel {
                id: NotSet,
                contract_id: Set(row.id),
                minimum_quantity: Set(b.minimum_quantity as i32),
                unit_price_vnd: Set(b.unit_price),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    partners::audit(
        &txn,
        partner.id,
        actor_partner_id,
        "contract_price",
        format!(
            "product {} at {} VND from {} (minimum {}, increment {}, {} breaks)",
            contract.product_id,
            contract.unit_price,
            contract.valid_from,
            contract.minimum_quantity,
            contract.quantity_increment,
            contract.price_breaks.len()
        ),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_and_quantity_rules() {
        let offer = Offer {
            unit_price: 100,
            minimum_quantity: 12,
            quantity_increment: 6,
            price_breaks: vec![
                PriceBreak {
                    minimum_quantity: 48,
                    unit_price: 90,
                },
                PriceBreak {
                    minimum_quantity: 120,
                    unit_price: 80,
                },
            ],
            contract_id: Some(1),
        };
        assert_eq!(offer.unit_price_for(12), 100);
        assert_eq!(offer.unit_price_for(48), 90);
        assert_eq!(offer.unit_price_for(119), 90);
        assert_eq!(offer.unit_price_for(600), 80);
        assert!(offer.check_quantity("X", 6).is_err());
        assert!(offer.check_quantity("X", 13).is_err());
        assert!(offer.check_quantity("X", 18).is_ok());
    }
}
