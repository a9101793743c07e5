use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{producer, product};

use crate::auth::Scope;
use crate::domain::catalog::StockLevel;
use crate::domain::catalog::completeness::Requirements;
use crate::domain::pricing;
use crate::error::AppError;
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::loader::{
    AvailableLoader, CertificatesLoader, ImagesLoader, OfferLoader, PartnerLoader, ProducerLoader,
    ProductsByProducerLoader, StockLoader,
};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::product_label::{
    Certificate, Completeness, NetContent, ProductChange, ProductImage, Review,
};
use crate::graphql::scalars::Vnd;
use crate::ids::{self, Kind};

/// OCOP product categories (the programme's six product groups).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Category")]
pub enum Category {
    Food,
    Beverages,
    HerbalProducts,
    TextilesGarments,
    HandicraftsSouvenirs,
    RuralTourism,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ProductStatus")]
pub enum ProductStatus {
    /// Being written; seen by its producer and the operator only.
    Draft,
    /// Submitted for the operator's review; seen by its producer and the
    /// operator only.
    InReview,
    /// Orderable.
    Active,
    /// Kept for history; cannot be ordered.
    Discontinued,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::ProducerKind")]
pub enum ProducerKind {
    Cooperative,
    Household,
    Enterprise,
}

/// An OCOP-certified producer: cooperative, household or enterprise.
pub struct ProducerNode(pub producer::Model);

#[Object(name = "Producer")]
impl ProducerNode {
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Producer, self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> ProducerKind {
        self.0.kind.into()
    }
    /// Commune (xã/phường) of origin.
    async fn commune(&self) -> &str {
        &self.0.commune
    }
    /// Street address, as printed on the label.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// District (huyện/quận) of origin.
    async fn district(&self) -> &str {
        &self.0.district
    }
    /// Province or centrally-run city of origin.
    async fn province(&self) -> &str {
        &self.0.province
    }
    /// This producer's products in the catalogue.
    #[graphql(complexity = "cost::UNPAGED_LIST * child_complexity")]
    async fn products(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductNode>> {
        let loader = crate::graphql::context::loader::<ProductsByProducerLoader>(ctx)?;
        let products = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(products.into_iter().map(ProductNode).collect())
    }
}

/// Stock of a product at one location.
pub struct StockLevelNode(pub StockLevel);

#[Object(name = "StockLevel")]
impl StockLevelNode {
    async fn location(&self) -> LocationNode {
        LocationNode(self.0.location.clone())
    }
    /// Units physically held.
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    /// Units held for open orders.
    async fn reserved(&self) -> i64 {
        self.0.reserved
    }
    /// Units that can still be ordered: onHand - reserved, never negative.
    async fn available(&self) -> i64 {
        self.0.available()
    }
}

/// A certified OCOP product as sold wholesale to retail chains.
pub struct ProductNode(pub product::Model);

#[Object(name = "Product")]
impl ProductNode {
    pub(crate) async fn id(&self) -> ID {
        ids::encode(Kind::Product, self.0.id)
    }
    /// Stock-keeping unit, unique in the catalogue.
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    /// GS1 GTIN (barcode), check digit validated, when the producer has one.
    async fn gtin(&self) -> Option<&str> {
        self.0.gtin.as_deref()
    }
    /// Vietnamese name, with diacritics.
    async fn name_vi(&self) -> &str {
        &self.0.name_vi
    }
    /// English name.
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category(&self) -> Category {
        self.0.category.into()
    }
    /// OCOP star rating, 3 to 5.
    async fn stars(&self) -> i32 {
        i32::from(self.0.stars)
    }
    /// The latest OCOP certificate; null until one is recorded.
    async fn certificate(&self) -> Option<Certificate> {
        Certificate::latest(&self.0)
    }
    /// Every certificate the product has held, newest first (a renewal
    /// adds one).
    async fn certificates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Certificate>> {
        let loader = crate::graphql::context::loader::<CertificatesLoader>(ctx)?;
        let rows = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Certificate::of).collect())
    }
    /// Images of the product, in the order added (upload with
    /// `POST /media`, then `addProductImage`).
    async fn images(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductImage>> {
        let loader = crate::graphql::context::loader::<ImagesLoader>(ctx)?;
        let rows = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|(i, f)| ProductImage::of(i, f))
            .collect())
    }
    /// Raised by every write; `updateProduct` names the version it read.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Net content as labelled (khối lượng tịnh / thể tích thực).
    async fn net_content(&self) -> Option<NetContent> {
        NetContent::of(&self.0)
    }
    /// Shelf life from the production date, in days.
    async fn shelf_life_days(&self) -> Option<i32> {
        self.0.shelf_life_days
    }
    /// Ingredients (thành phần), as labelled.
    async fn ingredients(&self) -> Option<&str> {
        self.0.ingredients.as_deref()
    }
    /// Storage instructions (hướng dẫn bảo quản).
    async fn storage(&self) -> Option<&str> {
        self.0.storage.as_deref()
    }
    /// Usage instructions (hướng dẫn sử dụng).
    async fn usage(&self) -> Option<&str> {
        self.0.usage_instructions.as_deref()
    }
    /// Warnings (cảnh báo), if any.
    async fn warnings(&self) -> Option<&str> {
        self.0.warnings.as_deref()
    }
    /// Weight of one packed unit, in grams (for logistics).
    async fn package_weight_grams(&self) -> Option<i32> {
        self.0.package_weight_grams
    }
    /// The operator's last review decision, with its reasons.
    async fn review(&self) -> Option<Review> {
        Review::of(&self.0)
    }
    /// What the product still lacks before it can be listed: the label
    /// content the law requires, a certificate in force, an image.
    ///
    /// A retail chain is measured against its own listing rules too; the
    /// operator and producers may name a chain with `partnerId`.
    async fn completeness(
        &self,
        ctx: &Context<'_>,
        partner_id: Option<ID>,
    ) -> async_graphql::Result<Completeness> {
        let viewer = crate::graphql::context::viewer(ctx)?;
        let chain = match partner_id {
            _ if viewer.partner.kind == entity::enums::PartnerKind::RetailChain => {
                Requirements::of(&viewer.partner)
            }
            None => None,
            Some(id) => {
                let id = ids::decode(Kind::Partner, &id, "partnerId")?;
                crate::graphql::context::loader::<PartnerLoader>(ctx)?
                    .load_one(id)
                    .await?
                    .and_then(|p| Requirements::of(&p))
            }
        };
        let loader = crate::graphql::context::loader::<ProducerLoader>(ctx)?;
        let maker = loader
            .load_one(self.0.producer_id)
            .await?
            .ok_or_else(|| AppError::not_found("producer"))?;
        let images = crate::graphql::context::loader::<ImagesLoader>(ctx)?
            .load_one(self.0.id)
            .await?
            .map_or(0, |i| i.len());
        Ok(crate::domain::catalog::completeness::measure_for(
            &self.0,
            &maker,
            images,
            crate::domain::clock::business_today(),
            chain.as_ref(),
        )
        .into())
    }
    /// Every write to the product, newest first: who, when, what from
    /// what to what. For the operator and the product's producer.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductChange>> {
        let viewer = crate::graphql::context::viewer(ctx)?;
        let db = crate::graphql::context::db(ctx)?;
        Ok(crate::domain::catalog::write::history(db, viewer, &self.0)
            .await?
            .into_iter()
            .map(|(row, actor)| ProductChange::of(row, actor))
            .collect())
    }
    /// What the OCOP QR stamp on the package encodes; resolve it with
    /// `productByTraceCode`.
    async fn trace_code(&self) -> &str {
        &self.0.trace_code
    }
    /// The product's GS1 Digital Link (`{PUBLIC_BASE_URL}/01/{GTIN-14}`),
    /// where a scan of its barcode QR leads; null without a GTIN or without
    /// a public address configured.
    async fn digital_link(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let base = crate::graphql::context::request_data(ctx)?
            .public_base
            .clone();
        Ok(base.and_then(|b| crate::domain::origin::digital_link(&b, self.0.gtin.as_deref())))
    }
    /// The address to print in the product's QR stamp: its Digital Link,
    /// else its origin page by trace code. The stamp itself is an SVG at
    /// this address plus `/qr.svg`. Null without a public address configured.
    async fn stamp_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let base = crate::graphql::context::request_data(ctx)?
            .public_base
            .clone();
        Ok(base.map(|b| {
            crate::domain::origin::stamp_url(&b, self.0.gtin.as_deref(), &self.0.trace_code)
        }))
    }
    /// Selling unit, e.g. `chai` (bottle), `hộp` (box), `bộ` (set).
    async fn unit(&self) -> &str {
        &self.0.unit
    }
    /// Units per wholesale pack.
    async fn pack_size(&self) -> i32 {
        self.0.pack_size
    }
    /// Wholesale price per unit, integer đồng.
    async fn wholesale_price(&self) -> Vnd {
        Vnd(self.0.wholesale_price_vnd)
    }
    /// Smallest quantity (in units) an order line may ask for.
    async fn min_order_quantity(&self) -> i32 {
        self.0.min_order_qty
    }
    async fn status(&self) -> ProductStatus {
        self.0.status.into()
    }
    /// Last change to the product's catalogue data (not its stock), UTC.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn producer(&self, ctx: &Context<'_>) -> async_graphql::Result<ProducerNode> {
        let loader = crate::graphql::context::loader::<ProducerLoader>(ctx)?;
        loader
            .load_one(self.0.producer_id)
            .await?
            .map(ProducerNode)
            .ok_or_else(|| {
                AppError::internal(std::io::Error::other("product without producer")).into()
            })
    }
    /// Its own reorder point (`setReorderPoint`): below it at a location,
    /// `stockChanged` flags the level low. Null: the gateway's default
    /// applies. Needs `inventory:read`.
    #[graphql(guard = "ScopeGuard(Scope::InventoryRead)")]
    async fn reorder_point(&self) -> Option<i64> {
        self.0.reorder_point
    }
    /// Stock per location. Needs `inventory:read` (null with a FORBIDDEN
    /// error otherwise, while the rest of the product is served).
    #[graphql(guard = "ScopeGuard(Scope::InventoryRead)")]
    async fn stock(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Vec<StockLevelNode>>> {
        let loader = crate::graphql::context::loader::<StockLoader>(ctx)?;
        let levels = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(Some(levels.into_iter().map(StockLevelNode).collect()))
    }
    /// Units available to order, summed over all locations. Needs
    /// `inventory:read` (null with a FORBIDDEN error otherwise).
    #[graphql(guard = "ScopeGuard(Scope::InventoryRead)")]
    async fn available(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i64>> {
        let loader = crate::graphql::context::loader::<AvailableLoader>(ctx)?;
        Ok(Some(loader.load_one(self.0.id).await?.unwrap_or(0)))
    }
    /// What you pay, today: your contract price with its quantity rules
    /// and breaks if you have one in force, else the list price and the
    /// product's minimum order quantity. `placeOrder` charges exactly this.
    async fn offer(&self, ctx: &Context<'_>) -> async_graphql::Result<OfferNode> {
        let loader = crate::graphql::context::loader::<OfferLoader>(ctx)?;
        let offer = loader
            .load_one(self.0.id)
            .await?
            .unwrap_or_else(|| pricing::Offer::list(&self.0));
        Ok(OfferNode(offer))
    }
}

/// What the caller pays for a product.
pub struct OfferNode(pricing::Offer);

/// A lower unit price from a quantity on.
#[derive(SimpleObject)]
pub struct PriceBreakNode {
    pub minimum_quantity: i64,
    pub unit_price: Vnd,
}

#[Object(name = "Offer")]
impl OfferNode {
    /// Per unit, below the first price break.
    async fn unit_price(&self) -> Vnd {
        Vnd(self.0.unit_price)
    }
    /// Smallest quantity per order line.
    async fn minimum_quantity(&self) -> i64 {
        self.0.minimum_quantity
    }
    /// Quantities are multiples of this.
    async fn quantity_increment(&self) -> i64 {
        self.0.quantity_increment
    }
    /// Lower unit prices from larger quantities, ascending.
    async fn price_breaks(&self) -> Vec<PriceBreakNode> {
        self.0
            .price_breaks
            .iter()
            .map(|b| PriceBreakNode {
                minimum_quantity: b.minimum_quantity,
                unit_price: Vnd(b.unit_price),
            })
            .collect()
    }
    /// True when this is your contract price, false for the list price.
    async fn contract(&self) -> bool {
        self.0.contract_id.is_some()
    }
    /// The unit price you pay for `quantity` (the break it reaches).
    async fn unit_price_for(&self, quantity: i64) -> Vnd {
        Vnd(self.0.unit_price_for(quantity))
    }
}
