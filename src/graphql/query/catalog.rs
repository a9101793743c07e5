use async_graphql::{Context, ID, Object};
use entity::{producer, product};

use crate::auth::Scope;
use crate::domain::catalog::ProductFilter;
use crate::domain::pagination::{Cursor, PageArgs};
use crate::domain::{catalog, partners};
use crate::error::AppError;
use crate::graphql::context::{db, request_data, viewer};
use crate::graphql::cost;
use crate::graphql::guard::ScopeGuard;
use crate::graphql::input::catalog::{ProductFilterInput, ProductOrderInput};
use crate::graphql::loader::{Shape, prime_products};
use crate::graphql::object::connection::{Connection, ProducerProvince};
use crate::graphql::object::location::LocationNode;
use crate::graphql::object::product::{ProducerNode, ProductNode};
use crate::ids::{self, Kind};

const PRODUCER_ORDERING: &str = "producer:id";

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The hub's work list (`catalog:write`): products ready to list,
    /// what is missing most, and certificates lapsing, for one producer or
    /// province (the operator: any; a producer: its own).
    #[graphql(guard = "ScopeGuard(Scope::CatalogWrite)", complexity = 200)]
    async fn catalog_quality(
        &self,
        ctx: &Context<'_>,
        producer_id: Option<ID>,
        province: Option<String>,
    ) -> async_graphql::Result<CatalogQuality> {
        let producer = producer_id
            .map(|id| ids::decode(Kind::Producer, &id, "producerId"))
            .transpose()?;
        let q = catalog::quality::quality(db(ctx)?, viewer(ctx)?, producer, province.as_deref())
            .await?;
        Ok(CatalogQuality {
            products: q.products as i32,
            ready: q.ready as i32,
            missing_by_field: q
                .missing_by_field
                .into_iter()
                .map(|(field, count)| FieldCount {
                    field,
                    count: count as i32,
                })
                .collect(),
            certificates_expiring: q.certificates_expiring as i32,
            certificates_expired: q.certificates_expired as i32,
        })
    }

    /// Warehouses and distribution points that hold stock.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn locations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LocationNode>> {
        let locations = partners::locations(db(ctx)?).await?;
        Ok(locations
            .into_iter()
            .map(|l| LocationNode(std::sync::Arc::new(l)))
            .collect())
    }

    /// The certified catalogue as a Relay connection. Page forward with
    /// `first`/`after` or backward with `last`/`before`; `first` defaults to
    /// 20 and neither may exceed the maximum page size (100 by default).
    /// Cursors are opaque and bound to the `orderBy` they came from.
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogRead)",
        complexity = "cost::connection(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)] // each argument is a GraphQL argument
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<ProductFilterInput>,
        order_by: Option<ProductOrderInput>,
    ) -> async_graphql::Result<Connection<ProductNode, ProductFilter>> {
        let data = request_data(ctx)?;
        let sort = order_by.unwrap_or_default().into_domain();
        let mut filter = filter.unwrap_or_default().into_domain()?;
        filter.audience = catalog::Audience::of(viewer(ctx)?);
        if viewer(ctx)?.partner.kind == entity::enums::PartnerKind::RetailChain {
            // A chain's `ready` is ready for it, as its `completeness` is.
            filter.ready_rules = catalog::completeness::Requirements::of(&viewer(ctx)?.partner);
        }
        if filter.in_stock.is_some() {
            // "In stock or not" is stock information.
            viewer(ctx)?.require(Scope::InventoryRead).map_err(|_| {
                AppError::Forbidden("the `inStock` filter needs the `inventory:read` scope".into())
            })?;
        }
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve(&sort.name(), data.max_page_size)?;
        let page = catalog::product_page(&data.db, &filter, sort, &spec).await?;
        prime_products(ctx, &page.items, Shape::Page).await?;
        let cursor = |p: &product::Model| sort.cursor_of(p).encode();
        Ok(Connection::build(page, cursor, ProductNode, filter))
    }

    /// A product by its id.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let id = ids::decode(Kind::Product, &id, "id")?;
        let audience = catalog::Audience::of(viewer(ctx)?);
        single(ctx, catalog::visible_product(db(ctx)?, audience, id).await?).await
    }

    /// A product by its SKU.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_sku(
        &self,
        ctx: &Context<'_>,
        sku: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let audience = catalog::Audience::of(viewer(ctx)?);
        single(
            ctx,
            catalog::product_by_sku(db(ctx)?, audience, &sku).await?,
        )
        .await
    }

    /// A product by its GS1 GTIN (barcode); the check digit is validated.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_gtin(
        &self,
        ctx: &Context<'_>,
        gtin: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let audience = catalog::Audience::of(viewer(ctx)?);
        single(
            ctx,
            catalog::product_by_gtin(db(ctx)?, audience, &gtin).await?,
        )
        .await
    }

    /// What an OCOP QR stamp resolves to: the product, with its producer
    /// (origin) and certificate.
    #[graphql(guard = "ScopeGuard(Scope::CatalogRead)")]
    async fn product_by_trace_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let audience = catalog::Audience::of(viewer(ctx)?);
        single(
            ctx,
            catalog::product_by_trace_code(db(ctx)?, audience, &code).await?,
        )
        .await
    }

    /// OCOP producers as a Relay connection, optionally in one province
    /// (case and diacritics ignored).
    #[graphql(
        guard = "ScopeGuard(Scope::CatalogRead)",
        complexity = "cost::connection(first, last, child_complexity)"
    )]
    async fn producers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        province: Option<String>,
    ) -> async_graphql::Result<Connection<ProducerNode, ProducerProvince>> {
        let data = request_data(ctx)?;
        let spec = PageArgs {
            first,
            after,
            last,
            before,
        }
        .resolve(PRODUCER_ORDERING, data.max_page_size)?;
        let page = catalog::producer_page(&data.db, province.as_deref(), &spec).await?;
        let cursor = |p: &producer::Model| Cursor::by_id(PRODUCER_ORDERING, p.id).encode();
        Ok(Connection::build(
            page,
            cursor,
            ProducerNode,
            ProducerProvince(province),
        ))
    }
}

/// One product, with what its nested fields need loaded up front.
async fn single(
    ctx: &Context<'_>,
    product: product::Model,
) -> async_graphql::Result<Option<ProductNode>> {
    prime_products(ctx, std::slice::from_ref(&product), Shape::Single).await?;
    Ok(Some(ProductNode(product)))
}

/// How complete a part of the catalogue is.
#[derive(async_graphql::SimpleObject)]
pub struct CatalogQuality {
    pub products: i32,
    /// Products that lack nothing the label law, a certificate and an
    /// image require.
    pub ready: i32,
    /// Each missing field with the number of products missing it, most
    /// missed first.
    pub missing_by_field: Vec<FieldCount>,
    /// Certificates lapsing within 90 days.
    pub certificates_expiring: i32,
    pub certificates_expired: i32,
}

#[derive(async_graphql::SimpleObject)]
pub struct FieldCount {
    pub field: String,
    pub count: i32,
}
