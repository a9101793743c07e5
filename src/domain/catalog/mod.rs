//! Catalogue reads: filtered, ordered product pages with keyset cursors,
//! lookups, and the batched loads that keep nested fields free of N+1.
//! Every read path takes an [`Audience`]: products not yet published
//! (DRAFT, IN_REVIEW) are seen by their producer and the operator only.
//! Writes, review, certificates and completeness live beside it.

pub mod certificates;
pub mod completeness;
pub mod export;
mod fields;
pub mod images;
pub mod import;
pub mod listing;
mod producers;
pub mod quality;
mod readiness;
pub mod review;
mod stock;
pub mod write;

pub use stock::{StockLevel, available_by_product, stock_by_product};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::{Category, ProductStatus};
use entity::{inventory_level, producer, product};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use serde_json::Value as Json;

use crate::auth::Viewer;
use crate::db::changes::{self, Key, Table};
use crate::domain::pagination::{Cursor, Page, PageSpec};
use crate::domain::{gtin, text};
use crate::error::{AppError, AppResult};

/// Longest accepted search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Most words a search may combine.
pub const MAX_SEARCH_WORDS: usize = 8;

/// Whose eyes a read is for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Published products only (ACTIVE, DISCONTINUED): retail chains, and
    /// anyone without a partner.
    #[default]
    Public,
    /// Published products, and every product of this producer.
    Producer(i64),
    /// Every product: the operator.
    Everything,
}

impl Audience {
    pub fn of(viewer: &Viewer) -> Self {
        match (viewer.is_operator(), viewer.partner.producer_id) {
            (true, _) => Audience::Everything,
            (false, Some(producer))
                if viewer.partner.kind == entity::enums::PartnerKind::Producer =>
            {
                Audience::Producer(producer)
            }
            _ => Audience::Public,
        }
    }

    /// The rows this audience may see, as a condition on `product`.
    pub fn condition(self) -> Condition {
        let published =
            product::Column::Status.is_in([ProductStatus::Active, ProductStatus::Discontinued]);
        match self {
            Audience::Everything => Condition::all(),
            Audience::Public => Condition::all().add(published),
            Audience::Producer(p) => Condition::any()
                .add(published)
                .add(product::Column::ProducerId.eq(p)),
        }
    }

    pub fn sees(self, p: &product::Model) -> bool {
        let published = matches!(
            p.status,
            ProductStatus::Active | ProductStatus::Discontinued
        );
        match self {
            Audience::Everything => true,
            Audience::Public => published,
            Audience::Producer(id) => published || p.producer_id == id,
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct ProductFilter {
    /// Who reads: products it may not see are never part of the set.
    pub audience: Audience,
    pub category: Option<Category>,
    pub min_stars: Option<i16>,
    pub max_stars: Option<i16>,
    /// Matched ignoring case and diacritics ("ha noi" = "Hà Nội").
    pub province: Option<String>,
    pub district: Option<String>,
    pub producer_id: Option<i64>,
    pub in_stock: Option<bool>,
    pub updated_since: Option<DateTime<Utc>>,
    pub search: Option<String>,
    pub status: Option<ProductStatus>,
    pub certificate_status: Option<certificates::CertificateStatus>,
    /// ACTIVE with a certificate in force today (what `placeOrder` takes).
    pub orderable: Option<bool>,
    /// Complete against the law's baseline and, when given, a chain's rules
    /// (`Product.completeness` with no gaps).
    pub ready: Option<bool>,
    pub ready_rules: Option<completeness::Requirements>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Id,
    Name,
    Stars,
    Price,
    UpdatedAt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProductSort {
    pub key: SortKey,
    pub descending: bool,
}

impl ProductSort {
    /// Names the ordering inside cursors, so a cursor from one ordering is
    /// refused by another.
    pub fn name(&self) -> String {
        let key = match self.key {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Stars => "stars",
            SortKey::Price => "price",
            SortKey::UpdatedAt => "updated",
        };
        format!("{key}:{}", if self.descending { "desc" } else { "asc" })
    }

    fn column(&self) -> product::Column {
        match self.key {
            SortKey::Id => product::Column::Id,
            SortKey::Name => product::Column::NameVi,
            SortKey::Stars => product::Column::Stars,
            SortKey::Price => product::Column::WholesalePriceVnd,
            SortKey::UpdatedAt => product::Column::UpdatedAt,
        }
    }

    fn value_of(&self, p: &product::Model) -> Json {
        match self.key {
            SortKey::Id => Json::from(p.id),
            SortKey::Name => Json::from(p.name_vi.clone()),
            SortKey::Stars => Json::from(p.stars),
            SortKey::Price => Json::from(p.wholesale_price_vnd),
            SortKey::UpdatedAt => Json::from(p.updated_at.to_rfc3339()),
        }
    }

    fn sql_value(&self, cursor: &Cursor, field: &str) -> AppResult<sea_orm::Value> {
        let invalid = || {
            AppError::bad_field(
                field,
                format!("`{field}` is not a cursor from this connection"),
            )
        };
        Ok(match self.key {
            SortKey::Id => cursor.id.into(),
            SortKey::Name => cursor.value.as_str().ok_or_else(invalid)?.to_owned().into(),
            SortKey::Stars => i16::try_from(cursor.value.as_i64().ok_or_else(invalid)?)
                .map_err(|_| invalid())?
                .into(),
            SortKey::Price => cursor.value.as_i64().ok_or_else(invalid)?.into(),
            SortKey::UpdatedAt => {
                let text = cursor.value.as_str().ok_or_else(invalid)?;
                DateTime::parse_from_rfc3339(text)
                    .map_err(|_| invalid())?
                    .with_timezone(&Utc)
                    .into()
            }
        })
    }

    pub fn cursor_of(&self, p: &product::Model) -> Cursor {
        Cursor {
            ordering: self.name(),
            value: self.value_of(p),
            id: p.id,
        }
    }
}

/// Validates and folds search text into at most a few LIKE words.
pub fn search_words(search: &str) -> AppResult<Vec<String>> {
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::bad_field(
            "filter.search",
            format!("search text is limited to {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let words: Vec<String> = text::fold(search)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.len() > MAX_SEARCH_WORDS {
        return Err(AppError::bad_field(
            "filter.search",
            format!("search text is limited to {MAX_SEARCH_WORDS} words"),
        ));
    }
    Ok(words)
}

/// Matches the stored spelling or its folded form ("ha noi" = "Hà Nội").
fn fold_eq(column: producer::Column, value: &str) -> Condition {
    let key = match column {
        producer::Column::Province => producer::Column::ProvinceKey,
        _ => producer::Column::DistrictKey,
    };
    Condition::any()
        .add(column.eq(value.trim()))
        .add(key.eq(text::fold(value)))
}

fn apply_filter(
    mut query: Select<product::Entity>,
    filter: &ProductFilter,
) -> AppResult<Select<product::Entity>> {
    query = query.filter(filter.audience.condition());
    if let Some(category) = filter.category {
        query = query.filter(product::Column::Category.eq(category));
    }
    if let Some(min) = filter.min_stars {
        query = query.filter(product::Column::Stars.gte(min));
    }
    if let Some(max) = filter.max_stars {
        query = query.filter(product::Column::Stars.lte(max));
    }
    if let Some(status) = filter.status {
        query = query.filter(product::Column::Status.eq(status));
    }
    if let Some(wanted) = filter.certificate_status {
        use certificates::CertificateStatus as S;
        let today = crate::domain::clock::business_today();
        let soon = today + chrono::Duration::days(certificates::EXPIRING_DAYS);
        let expires = product::Column::CertificateExpiresOn;
        query = query.filter(product::Column::CertificateNumber.ne(""));
        query = match wanted {
            S::Expired => query.filter(expires.lt(today)),
            S::Expiring => query.filter(expires.gte(today)).filter(expires.lte(soon)),
            S::Valid => query.filter(expires.gt(soon)),
        };
    }
    if let Some(orderable) = filter.orderable {
        let today = crate::domain::clock::business_today();
        let can = Condition::all()
            .add(product::Column::Status.eq(ProductStatus::Active))
            .add(product::Column::CertificateExpiresOn.gte(today));
        query = query.filter(if orderable { can } else { can.not() });
    }
    if let Some(ready) = filter.ready {
        let today = crate::domain::clock::business_today();
        let cond = readiness::ready(today, filter.ready_rules.as_ref());
        query = query.filter(if ready { cond } else { cond.not() });
    }
    if let Some(producer_id) = filter.producer_id {
        query = query.filter(product::Column::ProducerId.eq(producer_id));
    }
    if filter.province.is_some() || filter.district.is_some() {
        let mut cond = Condition::all();
        if let Some(province) = &filter.province {
            cond = cond.add(fold_eq(producer::Column::Province, province));
        }
        if let Some(district) = &filter.district {
            cond = cond.add(fold_eq(producer::Column::District, district));
        }
        let mut sub = Query::select();
        sub.column(producer::Column::Id)
            .from(producer::Entity)
            .cond_where(cond);
        query = query.filter(product::Column::ProducerId.in_subquery(sub.to_owned()));
    }
    if let Some(in_stock) = filter.in_stock {
        let mut sub = Query::select();
        sub.column(inventory_level::Column::ProductId)
            .from(inventory_level::Entity)
            .and_where(
                Expr::col(inventory_level::Column::OnHand)
                    .gt(Expr::col(inventory_level::Column::Reserved)),
            );
        query = if in_stock {
            query.filter(product::Column::Id.in_subquery(sub.to_owned()))
        } else {
            query.filter(product::Column::Id.not_in_subquery(sub.to_owned()))
        };
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(product::Column::UpdatedAt.gte(since));
    }
    if let Some(search) = &filter.search {
        for word in search_words(search)? {
            let pattern = format!("%{}%", text::like_escape(&word));
            query =
                query.filter(product::Column::SearchText.like(LikeExpr::new(pattern).escape('\\')));
        }
    }
    Ok(query)
}

/// One page of products matching `filter`, in `sort` order.
pub async fn product_page(
    db: &DatabaseConnection,
    filter: &ProductFilter,
    sort: ProductSort,
    spec: &PageSpec,
) -> AppResult<Page<product::Model>> {
    let (limit, cursor, field, backward) = spec.plan();
    // Reading backwards walks the reverse order, then flips the rows.
    let descending = sort.descending != backward;
    let column = sort.column();
    let mut query = apply_filter(product::Entity::find(), filter)?;
    if let Some(cursor) = cursor {
        let value = sort.sql_value(cursor, field)?;
        let (key_past, id_past) = if descending {
            (column.lt(value.clone()), product::Column::Id.lt(cursor.id))
        } else {
            (column.gt(value.clone()), product::Column::Id.gt(cursor.id))
        };
        query = if sort.key == SortKey::Id {
            query.filter(id_past)
        } else {
            query.filter(
                Condition::any()
                    .add(key_past)
                    .add(Condition::all().add(column.eq(value)).add(id_past)),
            )
        };
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    if sort.key != SortKey::Id {
        query = query.order_by(column, order.clone());
    }
    query = query.order_by(product::Column::Id, order);
    // Which products a page lists changes with any product write
    // (`Key::Catalog`); what else the filter reads (stock for `inStock`)
    // is tracked as a whole.
    let items = changes::reading(
        &[Table::PRODUCT],
        [Key::Catalog],
        query.limit(limit + 1).all(db),
    )
    .await?;
    Ok(Page::from_rows(items, spec))
}

pub async fn product_count(db: &DatabaseConnection, filter: &ProductFilter) -> AppResult<u64> {
    let query = apply_filter(product::Entity::find(), filter)?;
    Ok(changes::reading(&[Table::PRODUCT], [Key::Catalog], query.count(db)).await?)
}

/// One product by `condition`, whose answer depends on `key`: the product
/// itself when found by id, which product holds a code otherwise.
async fn one_product(
    db: &DatabaseConnection,
    audience: Audience,
    condition: impl sea_orm::sea_query::IntoCondition,
    key: Key,
) -> AppResult<product::Model> {
    let query = product::Entity::find()
        .filter(condition)
        .filter(audience.condition());
    changes::reading(&[Table::PRODUCT], [key], query.one(db))
        .await?
        .ok_or_else(|| AppError::not_found("product"))
}

/// A product `audience` may see; NOT_FOUND, exactly as a missing one,
/// otherwise.
pub async fn visible_product(
    db: &DatabaseConnection,
    audience: Audience,
    id: i64,
) -> AppResult<product::Model> {
    one_product(db, audience, product::Column::Id.eq(id), Key::Product(id)).await
}

/// A product whatever its stage (for the gateway's own reads, never a
/// caller's lookup: see [`visible_product`]).
pub async fn product_by_id(db: &DatabaseConnection, id: i64) -> AppResult<product::Model> {
    changes::reading(
        &[Table::PRODUCT],
        [Key::Product(id)],
        product::Entity::find_by_id(id).one(db),
    )
    .await?
    .ok_or_else(|| AppError::not_found("product"))
}

/// Products by id, in one statement (a loader's batch).
pub async fn products_by_id(
    db: &DatabaseConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, product::Model>> {
    let query = product::Entity::find().filter(product::Column::Id.is_in(ids.iter().copied()));
    Ok(changes::reading(
        &[Table::PRODUCT],
        ids.iter().map(|id| Key::Product(*id)),
        query.all(db),
    )
    .await?
    .into_iter()
    .map(|p| (p.id, p))
    .collect())
}

pub async fn product_by_sku(
    db: &DatabaseConnection,
    audience: Audience,
    sku: &str,
) -> AppResult<product::Model> {
    if sku.is_empty() || sku.len() > 64 {
        return Err(AppError::bad_field(
            "sku",
            "`sku` must be 1 to 64 characters",
        ));
    }
    one_product(db, audience, product::Column::Sku.eq(sku), Key::Catalog).await
}

pub async fn product_by_gtin(
    db: &DatabaseConnection,
    audience: Audience,
    code: &str,
) -> AppResult<product::Model> {
    if !gtin::is_valid(code) {
        return Err(AppError::bad_field(
            "gtin",
            "`gtin` must be 8, 12, 13 or 14 digits with a valid GS1 check digit",
        ));
    }
    one_product(db, audience, product::Column::Gtin.eq(code), Key::Catalog).await
}

pub async fn product_by_trace_code(
    db: &DatabaseConnection,
    audience: Audience,
    code: &str,
) -> AppResult<product::Model> {
    let code = code.trim();
    if code.is_empty() || code.len() > 128 {
        return Err(AppError::bad_field(
            "code",
            "`code` must be 1 to 128 characters",
        ));
    }
    one_product(
        db,
        audience,
        product::Column::TraceCode.eq(code),
        Key::Catalog,
    )
    .await
}

pub async fn producer_page(
    db: &DatabaseConnection,
    province: Option<&str>,
    spec: &PageSpec,
) -> AppResult<Page<producer::Model>> {
    let (limit, cursor, _, backward) = spec.plan();
    let mut query = producer::Entity::find();
    if let Some(province) = province {
        query = query.filter(fold_eq(producer::Column::Province, province));
    }
    if let Some(c) = cursor {
        query = query.filter(if backward {
            producer::Column::Id.lt(c.id)
        } else {
            producer::Column::Id.gt(c.id)
        });
    }
    let order = if backward { Order::Desc } else { Order::Asc };
    let items = query
        .order_by(producer::Column::Id, order)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(items, spec))
}

pub async fn producer_count(db: &DatabaseConnection, province: Option<&str>) -> AppResult<u64> {
    let mut query = producer::Entity::find();
    if let Some(province) = province {
        query = query.filter(fold_eq(producer::Column::Province, province));
    }
    Ok(query.count(db).await?)
}

/// Products of many producers in one statement, by producer.
pub async fn products_by_producer(
    db: &DatabaseConnection,
    audience: Audience,
    producer_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<product::Model>>> {
    let query = product::Entity::find()
        .filter(product::Column::ProducerId.is_in(producer_ids.iter().copied()))
        .filter(audience.condition())
        .order_by_asc(product::Column::Id);
    let rows = changes::reading(&[Table::PRODUCT], [Key::Catalog], query.all(db)).await?;
    let mut out: HashMap<i64, Vec<product::Model>> = HashMap::new();
    for p in rows {
        out.entry(p.producer_id).or_default().push(p);
    }
    Ok(out)
}
