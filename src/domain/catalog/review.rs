//! A product's way into the catalogue: DRAFT -> IN_REVIEW when its
//! producer (or the hub) submits it complete, then the operator approves
//! it (ACTIVE: retail chains see and order it) or rejects it with reasons
//! (back to DRAFT, the reasons kept). Any product may be discontinued.
//! Each step raises the version and leaves an audit row.

use entity::enums::{ProductStatus, ReviewDecision};
use entity::{producer, product};
use sea_orm::{ActiveEnum, EntityTrait, Set};
use serde_json::json;

use super::completeness;
use super::write::{self, Writer};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::{clock, text};
use crate::error::{AppError, AppResult};

/// The legal moves, as one table.
fn may_move(from: ProductStatus, to: ProductStatus) -> bool {
    use ProductStatus::*;
    matches!(
        (from, to),
        (Draft, InReview)
            | (InReview, Active)
            | (InReview, Draft)
            | (Draft | InReview | Active, Discontinued)
    )
}

fn refused(from: ProductStatus, to: ProductStatus) -> AppError {
    AppError::conflict(format!(
        "a product that is {} cannot become {}",
        from.to_value(),
        to.to_value()
    ))
}

/// DRAFT -> IN_REVIEW, if nothing the baseline requires is missing;
/// otherwise BAD_USER_INPUT naming every gap (`extensions.missing`).
pub async fn submit(db: &Db, viewer: &Viewer, product_id: i64) -> AppResult<product::Model> {
    let writer = Writer::of(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = write::writable_product(&txn, writer, product_id).await?;
    if !may_move(current.status, ProductStatus::InReview) {
        return Err(refused(current.status, ProductStatus::InReview));
    }
    let maker = producer::Entity::find_by_id(current.producer_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("producer"))?;
    let images = super::images::count(&txn, current.id).await?;
    let measured = completeness::measure(&current, &maker, images, clock::business_today());
    if !measured.ready() {
        let fields: Vec<&str> = measured.missing.iter().map(|m| m.field).collect();
        return Err(AppError::bad_input(format!(
            "the product cannot be submitted yet: {}",
            measured
                .missing
                .iter()
                .map(|m| m.message)
                .collect::<Vec<_>>()
                .join(" ")
        ))
        .with("missing", json!(fields)));
    }
    let mut row: product::ActiveModel = current.clone().into();
    row.status = Set(ProductStatus::InReview);
    let saved = write::save_versioned(
        &txn,
        viewer,
        &current,
        row,
        "submit",
        json!({ "status": { "from": current.status.to_value(), "to": "in_review" } }),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(saved)
}

/// The operator's decision on a product IN_REVIEW: APPROVE makes it
/// ACTIVE; REJECT sends it back to DRAFT and needs at least one reason.
pub async fn review(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    decision: ReviewDecision,
    reasons: Vec<String>,
) -> AppResult<product::Model> {
    if Writer::of(viewer)? != Writer::Operator {
        return Err(AppError::Forbidden("the operator reviews products".into()));
    }
    if reasons.len() > 20 {
        return Err(AppError::bad_field("reasons", "at most 20 reasons"));
    }
    let mut kept = Vec::with_capacity(reasons.len());
    for (i, r) in reasons.iter().enumerate() {
        if let Some(r) = text::reason(Some(r), &format!("reasons.{i}"), false)? {
            kept.push(r);
        }
    }
    if decision == ReviewDecision::Reject && kept.is_empty() {
        return Err(AppError::bad_field(
            "reasons",
            "a rejection says why, so the producer can fix it",
        ));
    }
    let to = match decision {
        ReviewDecision::Approve => ProductStatus::Active,
        ReviewDecision::Reject => ProductStatus::Draft,
    };
    let (txn, slot) = db::begin_write(db).await?;
    let current = write::writable_product(&txn, Writer::Operator, product_id).await?;
    if current.status != ProductStatus::InReview || !may_move(current.status, to) {
        return Err(refused(current.status, to));
    }
    let mut row: product::ActiveModel = current.clone().into();
    row.status = Set(to);
    row.review_decision = Set(Some(decision));
    row.review_reasons = Set(Some(json!(kept).to_string()));
    row.reviewed_at = Set(Some(clock::now()));
    let saved = write::save_versioned(
        &txn,
        viewer,
        &current,
        row,
        &decision.to_value(),
        json!({ "status": { "from": "in_review", "to": to.to_value() }, "reasons": kept }),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(saved)
}

/// Takes a product out of the catalogue for good (orders already placed
/// are kept).
pub async fn discontinue(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    reason: Option<&str>,
) -> AppResult<product::Model> {
    let writer = Writer::of(viewer)?;
    let reason = text::reason(reason, "reason", true)?;
    let (txn, slot) = db::begin_write(db).await?;
    let current = write::writable_product(&txn, writer, product_id).await?;
    if !may_move(current.status, ProductStatus::Discontinued) {
        return Err(refused(current.status, ProductStatus::Discontinued));
    }
    let mut row: product::ActiveModel = current.clone().into();
    row.status = Set(ProductStatus::Discontinued);
    let saved = write::save_versioned(
        &txn,
        viewer,
        &current,
        row,
        "discontinue",
        json!({ "status": { "from": current.status.to_value(), "to": "discontinued" }, "reason": reason }),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProductStatus::*;

    #[test]
    fn only_the_review_path_moves_a_product() {
        for (from, to, ok) in [
            (Draft, InReview, true),
            (InReview, Active, true),
            (InReview, Draft, true),
            (Active, Discontinued, true),
            (Draft, Active, false),
            (Active, Draft, false),
            (Discontinued, Active, false),
            (Discontinued, Discontinued, false),
            (Active, InReview, false),
        ] {
            assert_eq!(may_move(from, to), ok, "{from:?} -> {to:?}");
        }
    }
}
