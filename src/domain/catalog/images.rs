//! Product images: an upload is checked (`crate::media`) and stored once by
//! its content address; a product then points at it with an alt text and
//! a role. Adding or removing one is a product write (version, audit).

use bytes::Bytes;
use entity::{media as media_row, product_image};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::write::{self, Writer};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};
use crate::media::{self as files, MediaStore};

/// Most images one product may have.
pub const MAX_IMAGES: usize = 10;

pub const ROLES: [&str; 4] = ["front", "back", "label", "other"];

/// Checks and stores an upload of a catalogue writer; the same file
/// uploaded twice is one object and one row.
pub async fn upload(
    db: &Db,
    store: &MediaStore,
    viewer: &Viewer,
    bytes: Bytes,
) -> AppResult<media_row::Model> {
    Writer::of(viewer)?;
    let inspected = files::inspect(&bytes).map_err(|r| match r {
        files::Refusal::TooLarge => AppError::BodyTooLarge {
            max_bytes: files::MAX_BYTES,
        },
        r => AppError::bad_field("body", r.message()),
    })?;
    if let Some(found) = media_row::Entity::find_by_id(inspected.id.clone())
        .one(db.conn())
        .await?
    {
        return Ok(found);
    }
    let phone = files::decode(bytes.clone(), inspected.kind)
        .await
        .map_err(|r| AppError::bad_field("body", r.message()))?;
    // The files first, the row after: a row always has its files; a file
    // without a row (a crash between) is only garbage.
    store
        .put(&inspected.id, bytes.clone())
        .await
        .map_err(AppError::internal)?;
    if let Some(copy) = &phone {
        store
            .put(&files::phone_key(&inspected.id), copy.bytes.clone())
            .await
            .map_err(AppError::internal)?;
    }
    let row = media_row::ActiveModel {
        id: Set(inspected.id.clone()),
        content_type: Set(inspected.kind.content_type().to_owned()),
        width: Set(inspected.width as i32),
        height: Set(inspected.height as i32),
        bytes: Set(bytes.len() as i64),
        uploaded_by: Set(viewer.partner_id()),
        created_at: Set(clock::now()),
        phone_width: Set(phone.as_ref().map(|c| c.width as i32)),
        phone_height: Set(phone.as_ref().map(|c| c.height as i32)),
    };
    let (txn, slot) = db::begin_write(db).await?;
    media_row::Entity::insert(row)
        .on_conflict(
            OnConflict::column(media_row::Column::Id)
                .do_nothing()
                .to_owned(),
        )
        .try_insert()
        .exec(&txn)
        .await?;
    slot.commit(txn).await?;
    media_row::Entity::find_by_id(inspected.id)
        .one(db.conn())
        .await?
        .ok_or_else(|| AppError::not_found("media"))
}

/// A stored file and its type, for `GET /media/{id}`; with `phone`, its
/// phone copy (the original when that is small enough).
pub async fn read(
    db: &DatabaseConnection,
    store: &MediaStore,
    id: &str,
    phone: bool,
) -> AppResult<Option<(String, Bytes)>> {
    if !files::is_id(id) {
        return Ok(None);
    }
    let Some(row) = media_row::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let (key, content_type) = match (phone, row.phone_width) {
        (true, Some(_)) => (files::phone_key(id), "image/jpeg".to_owned()),
        _ => (id.to_owned(), row.content_type),
    };
    let bytes = store.get(&key).await.map_err(AppError::internal)?;
    Ok(bytes.map(|b| (content_type, b)))
}

/// The path of a media id's phone copy (`GET /media/{id}/480`).
pub fn phone_url(id: &str) -> String {
    format!("/media/{id}/{}", files::PHONE_SIDE)
}

pub async fn count(db: &impl ConnectionTrait, product_id: i64) -> AppResult<usize> {
    Ok(product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .all(db)
        .await?
        .len())
}

/// Each product's images with their media, in the order added.
pub async fn of_products(
    db: &DatabaseConnection,
    product_ids: &[i64],
) -> AppResult<Vec<(product_image::Model, media_row::Model)>> {
    let images = product_image::Entity::find()
        .filter(product_image::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_asc(product_image::Column::Id)
        .all(db)
        .await?;
    let files: std::collections::HashMap<String, media_row::Model> = media_row::Entity::find()
        .filter(media_row::Column::Id.is_in(images.iter().map(|i| i.media_id.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    Ok(images
        .into_iter()
        .filter_map(|i| files.get(&i.media_id).cloned().map(|m| (i, m)))
        .collect())
}

/// Adds an uploaded image to a product the caller may write.
pub async fn add(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    media_id: &str,
    alt: &str,
    role: &str,
) -> AppResult<entity::product::Model> {
    let writer = Writer::of(viewer)?;
    let alt = text::printable(
        alt,
        1,
        200,
        "alt",
        "an alt text is 1 to 200 characters (what the image shows)",
    )?;
    let role = role.to_ascii_lowercase();
    if !ROLES.contains(&role.as_str()) {
        return Err(AppError::bad_field(
            "role",
            "a role is FRONT, BACK, LABEL or OTHER",
        ));
    }
    let (txn, slot) = db::begin_write(db).await?;
    let current = write::writable_product(&txn, writer, product_id).await?;
    if !files::is_id(media_id)
        || media_row::Entity::find_by_id(media_id.to_owned())
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::not_found("media"));
    }
    if count(&txn, product_id).await? >= MAX_IMAGES {
        return Err(AppError::bad_field(
            "mediaId",
            format!("a product has at most {MAX_IMAGES} images"),
        ));
    }
    product_image::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        media_id: Set(media_id.to_owned()),
        alt: Set(alt.clone()),
        role: Set(role.clone()),
        created_at: Set(clock::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::bad_field("mediaId", "the product already has this image")
        }
        _ => e.into(),
    })?;
    let row: entity::product::ActiveModel = current.clone().into();
    let saved = write::save_versioned(
        &txn,
        viewer,
        &current,
        row,
        "add_image",
        json!({ "images": { "added": media_id, "alt": alt, "role": role } }),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(saved)
}

/// Removes an image from a product the caller may write.
pub async fn remove(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    media_id: &str,
) -> AppResult<entity::product::Model> {
    let writer = Writer::of(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = write::writable_product(&txn, writer, product_id).await?;
    let removed = product_image::Entity::delete_many()
        .filter(product_image::Column::ProductId.eq(product_id))
        .filter(product_image::Column::MediaId.eq(media_id))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(AppError::not_found("image"));
    }
    let row: entity::product::ActiveModel = current.clone().into();
    let saved = write::save_versioned(
        &txn,
        viewer,
        &current,
        row,
        "remove_image",
        json!({ "images": { "removed": media_id } }),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(saved)
}
