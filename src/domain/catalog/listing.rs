//! A retail chain's own listing rules (required fields, images and shelf
//! life at least), set by the operator for the chain, measured on top of
//! the label law by `completeness::measure_for`.

use entity::enums::PartnerKind;
use entity::partner;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use super::completeness::{LISTABLE, Requirements};
use crate::db::{self, Db};
use crate::domain::partners;
use crate::error::{AppError, AppResult};

/// Sets (or, with everything empty, clears) a chain's listing rules.
pub async fn set(
    db: &Db,
    actor: i64,
    partner_id: i64,
    rules: Requirements,
) -> AppResult<partner::Model> {
    for (i, field) in rules.required_fields.iter().enumerate() {
        if !LISTABLE.contains(&field.as_str()) {
            return Err(AppError::bad_field(
                format!("input.requiredFields.{i}"),
                format!(
                    "`{field}` is not a field a chain may require; one of: {}",
                    LISTABLE.join(", ")
                ),
            ));
        }
    }
    if rules.min_images > 10 {
        return Err(AppError::bad_field("input.minImages", "0 to 10 images"));
    }
    if rules
        .min_shelf_life_days
        .is_some_and(|d| !(1..=3_650).contains(&d))
    {
        return Err(AppError::bad_field(
            "input.minShelfLifeDays",
            "1 to 3,650 days",
        ));
    }
    let (txn, slot) = db::begin_write(db).await?;
    partners::changing_partner(partner_id);
    let current = partners::find(&txn, partner_id).await?;
    if current.kind != PartnerKind::RetailChain {
        return Err(AppError::bad_field(
            "partnerId",
            "listing rules are a retail chain's",
        ));
    }
    let mut fields = rules.required_fields.clone();
    fields.sort();
    fields.dedup();
    let empty = fields.is_empty() && rules.min_images == 0 && rules.min_shelf_life_days.is_none();
    let mut row: partner::ActiveModel = current.into();
    row.listing_required_fields = Set((!empty).then(|| json!(fields).to_string()));
    row.listing_min_images = Set((!empty).then_some(rules.min_images as i32));
    row.listing_min_shelf_life_days = Set(rules.min_shelf_life_days);
    let saved = row.update(&txn).await?;
    partners::audit(
        &txn,
        partner_id,
        actor,
        "listing_rules",
        format!(
            "fields [{}], images {}, shelf life {:?}",
            fields.join(", "),
            rules.min_images,
            rules.min_shelf_life_days
        ),
    )
    .await?;
    slot.commit(txn).await?;
    // Its cached record (which a chain's own completeness reads) is renewed.
    db.partner_access_changed(partner_id);
    Ok(saved)
}
