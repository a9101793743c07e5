use async_graphql::{Enum, ID, InputObject};
use chrono::{DateTime, Utc};

use crate::domain::catalog::{MAX_SEARCH_CHARS, ProductFilter, ProductSort, SortKey};
use crate::error::{AppError, AppResult};
use crate::graphql::object::product::{Category, ProductStatus};
use crate::ids::{self, Kind};

/// Narrows `products`. All given conditions must hold.
#[derive(InputObject, Default)]
pub struct ProductFilterInput {
    pub category: Option<Category>,
    /// At least this many stars (3..5).
    pub min_stars: Option<i32>,
    /// At most this many stars (3..5).
    pub max_stars: Option<i32>,
    /// Producer's province; case and diacritics are ignored ("ha noi" = "Hà Nội").
    pub province: Option<String>,
    /// Producer's district; case and diacritics are ignored.
    pub district: Option<String>,
    pub producer_id: Option<ID>,
    /// True: only products with stock available somewhere; false: only those without.
    pub in_stock: Option<bool>,
    /// Only products whose catalogue data changed at or after this instant
    /// (incremental sync; stock changes do not count).
    pub updated_since: Option<DateTime<Utc>>,
    /// Words matched in the Vietnamese and English names, the producer and
    /// the SKU, ignoring case and diacritics; every word must match.
    /// At most 100 characters and 8 words.
    pub search: Option<String>,
    pub status: Option<ProductStatus>,
    /// Products whose latest certificate is VALID, EXPIRING (90 days or
    /// fewer left) or EXPIRED today (the business day).
    pub certificate_status: Option<crate::graphql::object::product_label::CertificateStatus>,
    /// `true`: what `placeOrder` accepts today (ACTIVE, certificate in
    /// force); `false`: the rest.
    pub orderable: Option<bool>,
    /// `true`: nothing missing in `completeness` (the label law, a
    /// certificate in force, an image; for a chain, its own listing rules
    /// too); `false`: something is.
    pub ready: Option<bool>,
}

fn stars(value: Option<i32>, field: &str) -> AppResult<Option<i16>> {
    match value {
        None => Ok(None),
        Some(n @ 3..=5) => Ok(Some(n as i16)),
        Some(_) => Err(AppError::bad_field(
            field,
            format!("`{field}` must be 3, 4 or 5"),
        )),
    }
}

impl ProductFilterInput {
    pub fn into_domain(self) -> AppResult<ProductFilter> {
        let min_stars = stars(self.min_stars, "filter.minStars")?;
        let max_stars = stars(self.max_stars, "filter.maxStars")?;
        if let (Some(min), Some(max)) = (min_stars, max_stars)
            && min > max
        {
            return Err(AppError::bad_field(
                "filter.minStars",
                "`minStars` is above `maxStars`",
            ));
        }
        let text = |v: Option<String>, field: &str| -> AppResult<Option<String>> {
            match v {
                Some(s) if s.chars().count() > MAX_SEARCH_CHARS => Err(AppError::bad_field(
                    field,
                    format!("`{field}` is limited to {MAX_SEARCH_CHARS} characters"),
                )),
                other => Ok(other),
            }
        };
        Ok(ProductFilter {
            audience: Default::default(),
            category: self.category.map(Into::into),
            min_stars,
            max_stars,
            province: text(self.province, "filter.province")?,
            district: text(self.district, "filter.district")?,
            producer_id: self
                .producer_id
                .map(|id| ids::decode(Kind::Producer, &id, "filter.producerId"))
                .transpose()?,
            in_stock: self.in_stock,
            updated_since: self.updated_since,
            search: self.search,
            status: self.status.map(Into::into),
            certificate_status: self.certificate_status.map(Into::into),
            orderable: self.orderable,
            ready: self.ready,
            ready_rules: None,
        })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductSortKey {
    /// Catalogue order (stable; best for full syncs).
    #[default]
    Id,
    /// Vietnamese name.
    Name,
    Stars,
    /// Wholesale price.
    Price,
    /// Last catalogue change (best for incremental syncs).
    UpdatedAt,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// Order of `products`; ties are broken by id, so the order is total.
#[derive(InputObject, Default)]
pub struct ProductOrderInput {
    #[graphql(default)]
    pub field: ProductSortKey,
    #[graphql(default)]
    pub direction: SortDirection,
}

impl ProductOrderInput {
    pub fn into_domain(self) -> ProductSort {
        ProductSort {
            key: match self.field {
                ProductSortKey::Id => SortKey::Id,
                ProductSortKey::Name => SortKey::Name,
                ProductSortKey::Stars => SortKey::Stars,
                ProductSortKey::Price => SortKey::Price,
                ProductSortKey::UpdatedAt => SortKey::UpdatedAt,
            },
            descending: self.direction == SortDirection::Desc,
        }
    }
}

/// Units received into a location.
#[derive(InputObject)]
pub struct ReceiveStockInput {
    pub product_id: ID,
    pub location_id: ID,
    /// Units received, 1 to 1,000,000.
    pub quantity: i64,
    /// Delivery note or other reference, up to 500 characters.
    pub reason: Option<String>,
}

/// A correction of on-hand after a count, damage or loss.
#[derive(InputObject)]
pub struct AdjustStockInput {
    pub product_id: ID,
    pub location_id: ID,
    /// Units to add (positive) or remove (negative); on-hand may not fall
    /// below what is reserved for open orders.
    pub delta: i64,
    /// Why (required, up to 500 characters).
    pub reason: String,
}
