//! Producers: onboarded and corrected by the operator; their products'
//! search text follows their name.

use chrono::Utc;
use entity::enums::ProducerKind;
use entity::{producer, product};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr,
};
use unicode_normalization::UnicodeNormalization;

use super::fields::{name, sku};
use super::write::Writer;
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

pub struct ProducerFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<ProducerKind>,
    pub commune: Option<String>,
    pub district: Option<String>,
    pub province: Option<String>,
    pub address: Option<String>,
}

fn place(value: &str, field: &str) -> AppResult<String> {
    let value: String = value.nfc().collect();
    text::printable(&value, 1, 100, field, "1 to 100 printable characters")
}

fn apply_producer(f: &ProducerFields, row: &mut producer::ActiveModel) -> AppResult<()> {
    if let Some(v) = &f.code {
        let v = sku(v, "input.code")?;
        row.code = Set(v);
    }
    if let Some(v) = &f.name {
        row.name = Set(name(v, "input.name")?);
    }
    if let Some(v) = f.kind {
        row.kind = Set(v);
    }
    if let Some(v) = &f.commune {
        row.commune = Set(place(v, "input.commune")?);
    }
    if let Some(v) = &f.district {
        let v = place(v, "input.district")?;
        row.district_key = Set(text::fold(&v));
        row.district = Set(v);
    }
    if let Some(v) = &f.province {
        let v = place(v, "input.province")?;
        row.province_key = Set(text::fold(&v));
        row.province = Set(v);
    }
    if let Some(v) = &f.address {
        let v: String = v.nfc().collect();
        row.address = Set(text::printable(
            &v,
            0,
            300,
            "input.address",
            "an address is at most 300 characters",
        )?);
    }
    Ok(())
}

fn operator_only(viewer: &Viewer) -> AppResult<()> {
    match Writer::of(viewer)? {
        Writer::Operator => Ok(()),
        Writer::Producer(_) => Err(AppError::Forbidden(
            "producers are onboarded by the operator".into(),
        )),
    }
}

/// Onboards a producer (the operator).
pub async fn create_producer(
    db: &Db,
    viewer: &Viewer,
    f: ProducerFields,
) -> AppResult<producer::Model> {
    operator_only(viewer)?;
    for (given, field) in [
        (f.code.is_some(), "input.code"),
        (f.name.is_some(), "input.name"),
        (f.kind.is_some(), "input.kind"),
        (f.commune.is_some(), "input.commune"),
        (f.district.is_some(), "input.district"),
        (f.province.is_some(), "input.province"),
    ] {
        if !given {
            return Err(AppError::bad_field(field, "required to create a producer"));
        }
    }
    let mut row = producer::ActiveModel {
        id: NotSet,
        created_at: Set(Utc::now()),
        address: Set(String::new()),
        ..Default::default()
    };
    apply_producer(&f, &mut row)?;
    let (txn, slot) = db::begin_write(db).await?;
    let created = row.insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_field("input.code", "a producer with this code exists")
        }
        _ => e.into(),
    })?;
    slot.commit(txn).await?;
    Ok(created)
}

/// Corrects a producer (the operator). Its products' search text follows
/// its name, and their `updatedAt` any change.
pub async fn update_producer(
    db: &Db,
    viewer: &Viewer,
    producer_id: i64,
    f: ProducerFields,
) -> AppResult<producer::Model> {
    operator_only(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = producer::Entity::find_by_id(producer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    let mut row: producer::ActiveModel = current.clone().into();
    apply_producer(&f, &mut row)?;
    let saved = row.update(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_field("input.code", "a producer with this code exists")
        }
        _ => e.into(),
    })?;
    if saved != current && saved.name == current.name {
        // An export or `updatedSince` sync shows the producer with each
        // product: its products change with it.
        product::Entity::update_many()
            .col_expr(product::Column::UpdatedAt, Expr::value(clock::now()))
            .filter(product::Column::ProducerId.eq(producer_id))
            .exec(&txn)
            .await?;
    }
    if saved.name != current.name {
        for p in product::Entity::find()
            .filter(product::Column::ProducerId.eq(producer_id))
            .all(&txn)
            .await?
        {
            let search = text::product_search_text(&p.name_vi, &p.name_en, &saved.name, &p.sku);
            product::Entity::update_many()
                .col_expr(product::Column::SearchText, Expr::value(search))
                .col_expr(product::Column::UpdatedAt, Expr::value(clock::now()))
                .filter(product::Column::Id.eq(p.id))
                .exec(&txn)
                .await?;
        }
    }
    slot.commit(txn).await?;
    Ok(saved)
}
