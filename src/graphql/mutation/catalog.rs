//! Catalogue writes (`catalog:write`): the operator writes any producer
//! and product; a PRODUCER partner writes its own producer's products, and
//! another producer's product is NOT_FOUND to it. Each resolver parses its
//! input and makes one domain call (`domain::catalog`).

use async_graphql::{Context, ID, Object};

use crate::auth::Scope;
use crate::domain::catalog::{certificates, images, review, write};
use crate::graphql::context::{db, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::product::{
    CreateProducerInput, CreateProductInput, RecordCertificateInput, UpdateProducerInput,
    UpdateProductInput,
};
use crate::graphql::object::product::{ProducerNode, ProductNode};
use crate::graphql::object::product_label::{Certificate, ImageRole, ReviewDecision};
use crate::ids::{self, Kind};

#[derive(Default)]
pub struct CatalogMutation;

fn product_id(id: &ID) -> async_graphql::Result<i64> {
    Ok(ids::decode(Kind::Product, id, "id")?)
}

#[Object]
impl CatalogMutation {
    /// Onboards an OCOP producer (the operator).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn create_producer(
        &self,
        ctx: &Context<'_>,
        input: CreateProducerInput,
    ) -> async_graphql::Result<ProducerNode> {
        let p = write::create_producer(db(ctx)?, viewer(ctx)?, input.into()).await?;
        Ok(ProducerNode(p))
    }

    /// Corrects a producer (the operator).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn update_producer(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProducerInput,
    ) -> async_graphql::Result<ProducerNode> {
        let id = ids::decode(Kind::Producer, &id, "id")?;
        let p = write::update_producer(db(ctx)?, viewer(ctx)?, id, input.into()).await?;
        Ok(ProducerNode(p))
    }

    /// Creates a product as a DRAFT (seen by its producer and the
    /// operator only until approved).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> async_graphql::Result<ProductNode> {
        let (producer_id, fields) = input.into_domain()?;
        let input = write::NewProduct {
            producer_id,
            fields,
        };
        Ok(ProductNode(
            write::create_product(db(ctx)?, viewer(ctx)?, input).await?,
        ))
    }

    /// Changes a product, if `expectedVersion` is still its `version`
    /// (otherwise CONFLICT with `extensions.currentVersion`, and nothing
    /// is written).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateProductInput,
    ) -> async_graphql::Result<ProductNode> {
        let id = product_id(&id)?;
        let saved =
            write::update_product(db(ctx)?, viewer(ctx)?, id, expected_version, input.into())
                .await?;
        Ok(ProductNode(saved))
    }

    /// DRAFT -> IN_REVIEW. Refused with BAD_USER_INPUT naming every missing
    /// field (`extensions.missing`) while the product lacks what the label
    /// law, its certificate or its images require.
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn submit_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ProductNode> {
        let id = product_id(&id)?;
        Ok(ProductNode(
            review::submit(db(ctx)?, viewer(ctx)?, id).await?,
        ))
    }

    /// The operator's decision on a product IN_REVIEW: APPROVE makes it
    /// ACTIVE (chains see and order it); REJECT returns it to DRAFT with
    /// the reasons kept (`Product.review`).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn review_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        decision: ReviewDecision,
        reasons: Option<Vec<String>>,
    ) -> async_graphql::Result<ProductNode> {
        let id = product_id(&id)?;
        let saved = review::review(
            db(ctx)?,
            viewer(ctx)?,
            id,
            decision.into(),
            reasons.unwrap_or_default(),
        )
        .await?;
        Ok(ProductNode(saved))
    }

    /// Takes a product out of the catalogue (orders already placed stay).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn discontinue_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> async_graphql::Result<ProductNode> {
        let id = product_id(&id)?;
        let saved = review::discontinue(db(ctx)?, viewer(ctx)?, id, Some(&reason)).await?;
        Ok(ProductNode(saved))
    }

    /// Adds an uploaded image (`POST /media`) to a product.
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn add_product_image(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media_id: String,
        alt: String,
        role: ImageRole,
    ) -> async_graphql::Result<ProductNode> {
        let id = ids::decode(Kind::Product, &product_id, "productId")?;
        let saved = images::add(db(ctx)?, viewer(ctx)?, id, &media_id, &alt, role.as_str()).await?;
        Ok(ProductNode(saved))
    }

    /// Removes an image from a product (the file stays: it may serve others).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn remove_product_image(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media_id: String,
    ) -> async_graphql::Result<ProductNode> {
        let id = ids::decode(Kind::Product, &product_id, "productId")?;
        Ok(ProductNode(
            images::remove(db(ctx)?, viewer(ctx)?, id, &media_id).await?,
        ))
    }

    /// Records an OCOP certificate of a product (a renewal adds one; the
    /// latest by issue date becomes `Product.certificate` and its stars).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogWrite)",
        complexity = "cost::MUTATION + child_complexity"
    )]
    async fn record_certificate(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: RecordCertificateInput,
    ) -> async_graphql::Result<Certificate> {
        let id = ids::decode(Kind::Product, &product_id, "productId")?;
        let saved = certificates::record(db(ctx)?, viewer(ctx)?, id, input.into()).await?;
        Ok(Certificate::of(saved))
    }
}
