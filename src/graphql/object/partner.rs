use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{contract_price, partner, partner_audit, store};

use crate::auth::Scope;
use crate::auth::Viewer;
use crate::domain::partners;
use crate::graphql::context::{db, loader};
use crate::graphql::guard::ScopeGuard;
use crate::graphql::loader::PartnerLoader;
use crate::graphql::loader::StoresByPartnerLoader;
use crate::graphql::scalars::Vnd;
use crate::ids::{self, Kind};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PartnerKind")]
pub enum PartnerKind {
    /// A supermarket or convenience chain that buys OCOP products.
    #[graphql(name = "RETAILER")]
    RetailChain,
    /// The OCOP coordination office running the gateway.
    Operator,
    /// An OCOP producer writing its own products' catalogue entries.
    Producer,
}

/// A retail chain's listing rules, on top of the label law.
#[derive(async_graphql::SimpleObject)]
pub struct ListingRequirements {
    /// `createProduct` field names every product it lists must have.
    pub required_fields: Vec<String>,
    pub min_images: i32,
    pub min_shelf_life_days: Option<i32>,
}

/// A chain's listing rules to set (empty lists and nulls clear them).
#[derive(async_graphql::InputObject)]
pub struct ListingRequirementsInput {
    /// Among gtin, description, nameEn, netContent, shelfLifeDays,
    /// ingredients, storage, usage, warnings, packageWeightGrams.
    pub required_fields: Vec<String>,
    pub min_images: Option<i32>,
    pub min_shelf_life_days: Option<i32>,
}

/// The calling partner and what its token may do.
pub struct ViewerNode(pub Viewer);

#[Object(name = "Viewer")]
impl ViewerNode {
    /// The partner the token was issued to.
    async fn partner(&self) -> PartnerNode {
        PartnerNode(self.0.partner.clone())
    }
    /// Effective scopes: those in the token that the partner may hold.
    async fn scopes(&self) -> Vec<&'static str> {
        self.0.scopes.iter().map(|s| s.as_str()).collect()
    }
}

/// A retail chain (or the operator) connected to the gateway.
pub struct PartnerNode(pub partner::Model);

#[Object(name = "Partner")]
impl PartnerNode {
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Partner, self.0.id)
    }
    /// A retail chain's own listing rules, if set (`setListingRequirements`).
    async fn listing_requirements(&self) -> Option<ListingRequirements> {
        crate::domain::catalog::completeness::Requirements::of(&self.0).map(|r| {
            ListingRequirements {
                required_fields: r.required_fields,
                min_images: r.min_images as i32,
                min_shelf_life_days: r.min_shelf_life_days,
            }
        })
    }
    /// The producer a PRODUCER partner writes for.
    async fn producer_id(&self) -> Option<ID> {
        self.0.producer_id.map(|p| ids::encode(Kind::Producer, p))
    }
    /// Stable partner code, the `sub` of its tokens (e.g. `aeon-vn`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> PartnerKind {
        self.0.kind.into()
    }
    /// A suspended partner's tokens are refused.
    async fn status(&self) -> PartnerStatus {
        self.0.status.into()
    }
    /// Scopes its tokens may carry (effective scopes are the token's within
    /// these).
    async fn grants(&self) -> Vec<&str> {
        self.0.allowed_scopes.split_whitespace().collect()
    }
    /// Its own request rate per replica; null: the gateway's default.
    async fn rate_limit_rps(&self) -> Option<i32> {
        self.0.rate_limit_rps
    }
    /// Its own query-cost rate per replica; null: the gateway's default.
    async fn query_cost_per_sec(&self) -> Option<i32> {
        self.0.query_cost_per_sec
    }
    /// Tokens issued at or before this instant are refused
    /// (`revokePartnerTokens`).
    async fn tokens_valid_after(&self) -> Option<DateTime<Utc>> {
        self.0.tokens_valid_after
    }
    /// Every change made to this partner, newest first (operator,
    /// `partners:admin`).
    #[graphql(guard = "ScopeGuard(Scope::PartnersAdmin)")]
    async fn audit_trail(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AuditEntryNode>> {
        let entries = partners::audit_trail(db(ctx)?, self.0.id).await?;
        Ok(entries.into_iter().map(AuditEntryNode).collect())
    }
    /// Ship-to points of this partner. Only the partner itself (or the
    /// operator) sees them.
    async fn stores(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StoreNode>> {
        let stores = loader::<StoresByPartnerLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(stores.into_iter().map(StoreNode).collect())
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::PartnerStatus")]
pub enum PartnerStatus {
    Active,
    Suspended,
}

/// One change to a partner.
pub struct AuditEntryNode(partner_audit::Model);

#[Object(name = "PartnerAuditEntry")]
impl AuditEntryNode {
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Code of the partner (the operator) who made it.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let partner = loader::<PartnerLoader>(ctx)?
            .load_one(self.0.actor_partner_id)
            .await?;
        Ok(partner.map(|p| p.code).unwrap_or_default())
    }
    /// `create`, `update`, `add_store`, `suspend`, `reactivate`,
    /// `revoke_tokens` or `contract_price`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn detail(&self) -> &str {
        &self.0.detail
    }
}

/// A partner's price for one product.
pub struct ContractPriceNode(pub contract_price::Model);

#[Object(name = "ContractPrice")]
impl ContractPriceNode {
    async fn id(&self) -> ID {
        ids::encode(Kind::ContractPrice, self.0.id)
    }
    async fn partner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PartnerNode>> {
        let partner = loader::<PartnerLoader>(ctx)?
            .load_one(self.0.partner_id)
            .await?;
        Ok(partner.map(PartnerNode))
    }
    async fn product_id(&self) -> ID {
        ids::encode(Kind::Product, self.0.product_id)
    }
    async fn unit_price(&self) -> Vnd {
        Vnd(self.0.unit_price_vnd)
    }
    async fn minimum_quantity(&self) -> i32 {
        self.0.minimum_quantity
    }
    async fn quantity_increment(&self) -> i32 {
        self.0.quantity_increment
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.valid_to
    }
}

/// A partner's ship-to point, such as one supermarket branch.
pub struct StoreNode(pub store::Model);

#[Object(name = "Store")]
impl StoreNode {
    /// Pass this as `storeId` when placing an order.
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Store, self.0.id)
    }
    /// The partner's own code for the branch.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> &str {
        &self.0.address
    }
    async fn province(&self) -> &str {
        &self.0.province
    }
}

/// A token issued by `issuePartnerToken`.
pub struct IssuedTokenNode(pub crate::domain::tokens::Issued);

#[Object(name = "IssuedToken")]
impl IssuedTokenNode {
    /// The bearer token (JWT). Not stored anywhere: shown this once.
    async fn token(&self) -> &str {
        &self.0.token
    }
    async fn partner(&self) -> PartnerNode {
        PartnerNode(self.0.partner.clone())
    }
    async fn scopes(&self) -> Vec<&'static str> {
        self.0.scopes.iter().map(|s| s.as_str()).collect()
    }
    async fn expires_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.expires_at
    }
}
