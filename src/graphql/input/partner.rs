//! Inputs of partner administration and contract prices.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::NaiveDate;

use crate::domain::clock;
use crate::domain::partners::{NewPartner, NewStore, PartnerChanges};
use crate::domain::pricing::{NewContract, PriceBreak};
use crate::error::AppResult;
use crate::graphql::scalars::Vnd;
use crate::ids::{self, Kind};

/// A lower unit price from a quantity on.
#[derive(InputObject)]
pub struct PriceBreakInput {
    pub minimum_quantity: i32,
    pub unit_price: Vnd,
}

/// A partner's price for a product, with its quantity rules.
#[derive(InputObject)]
pub struct SetContractPriceInput {
    pub partner_id: ID,
    pub product_id: ID,
    pub unit_price: Vnd,
    /// Smallest quantity per order line.
    pub minimum_quantity: i32,
    /// Quantities are multiples of this (default 1).
    #[graphql(default = 1)]
    pub quantity_increment: i32,
    /// First business day it applies (default: today, Asia/Ho_Chi_Minh).
    pub valid_from: Option<NaiveDate>,
    /// Last day it applies (none: until replaced).
    pub valid_to: Option<NaiveDate>,
    /// Lower prices from larger quantities, ascending, at most 10.
    #[graphql(default)]
    pub price_breaks: Vec<PriceBreakInput>,
}

impl SetContractPriceInput {
    pub fn into_domain(self) -> AppResult<NewContract> {
        Ok(NewContract {
            partner_id: ids::decode(Kind::Partner, &self.partner_id, "input.partnerId")?,
            product_id: ids::decode(Kind::Product, &self.product_id, "input.productId")?,
            unit_price: self.unit_price.0,
            minimum_quantity: i64::from(self.minimum_quantity),
            quantity_increment: i64::from(self.quantity_increment),
            valid_from: self.valid_from.unwrap_or_else(clock::business_today),
            valid_to: self.valid_to,
            price_breaks: self
                .price_breaks
                .into_iter()
                .map(|b| PriceBreak {
                    minimum_quantity: i64::from(b.minimum_quantity),
                    unit_price: b.unit_price.0,
                })
                .collect(),
        })
    }
}

/// A new partner: a retail chain, or a producer that writes its own
/// products' catalogue entries.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// 2 to 40 of a-z, 0-9 and `-`: the `sub` of its tokens.
    pub code: String,
    pub name: String,
    /// Scopes its tokens may carry. A retail chain: `catalog:read`,
    /// `inventory:read`, `orders:read`, `orders:write`, `reports:read`. A
    /// producer: `catalog:read`, `catalog:write`, `inventory:read`.
    pub grants: Vec<String>,
    /// RETAILER (the default) or PRODUCER.
    pub kind: Option<crate::graphql::object::partner::PartnerKind>,
    /// The producer a PRODUCER partner writes for (required for one).
    pub producer_id: Option<async_graphql::ID>,
}

impl CreatePartnerInput {
    pub fn into_domain(self) -> crate::error::AppResult<NewPartner> {
        Ok(NewPartner {
            code: self.code,
            name: self.name,
            grants: self.grants,
            kind: self.kind.map(Into::into),
            producer_id: self
                .producer_id
                .map(|id| crate::ids::decode(crate::ids::Kind::Producer, &id, "input.producerId"))
                .transpose()?,
        })
    }
}

/// Changes to a partner; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    pub name: Option<String>,
    pub grants: Option<Vec<String>>,
    /// Requests per second per replica; null: the gateway's default.
    pub rate_limit_rps: MaybeUndefined<i32>,
    /// Query cost per second per replica; null: the gateway's default.
    pub query_cost_per_sec: MaybeUndefined<i32>,
}

fn change(v: MaybeUndefined<i32>) -> Option<Option<i32>> {
    match v {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(n) => Some(Some(n)),
    }
}

impl From<UpdatePartnerInput> for PartnerChanges {
    fn from(i: UpdatePartnerInput) -> Self {
        PartnerChanges {
            name: i.name,
            grants: i.grants,
            rate_limit_rps: change(i.rate_limit_rps),
            query_cost_per_sec: change(i.query_cost_per_sec),
        }
    }
}

/// A partner's new ship-to store.
#[derive(InputObject)]
pub struct AddStoreInput {
    pub partner_id: ID,
    /// The partner's own code for the branch.
    pub code: String,
    pub name: String,
    pub address: String,
    pub province: Option<String>,
    /// GS1 Global Location Number, 13 digits with a check digit.
    pub gln: Option<String>,
}

impl AddStoreInput {
    pub fn into_domain(self) -> AppResult<NewStore> {
        Ok(NewStore {
            partner_id: ids::decode(Kind::Partner, &self.partner_id, "input.partnerId")?,
            code: self.code,
            name: self.name,
            address: self.address,
            province: self.province.unwrap_or_default(),
            gln: self.gln,
        })
    }
}

/// A token for a partner, signed by this gateway (HS256 only).
#[derive(InputObject)]
pub struct IssuePartnerTokenInput {
    pub partner_id: ID,
    /// At most the partner's grants, e.g. `["catalog:read", "orders:write"]`.
    pub scopes: Vec<String>,
    /// 5 minutes to 30 days.
    pub expires_in_minutes: i32,
}
