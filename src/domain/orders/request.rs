//! An order request checked and made canonical: lines merged by product
//! and sorted, and the fingerprint a replay must match.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::{MAX_LINE_QUANTITY, MAX_LINES, NewOrder};
use crate::domain::text;
use crate::error::{AppError, AppResult};

/// The request after validation: lines merged by product and sorted, so the
/// same order sent with its lines in another order is the same request.
pub(super) struct ValidOrder {
    pub(super) idempotency_key: String,
    pub(super) buyer_reference: String,
    pub(super) store_id: i64,
    pub(super) requested_delivery_date: NaiveDate,
    pub(super) lines: BTreeMap<i64, i64>,
    pub(super) hash: String,
}

pub(super) fn validate(input: NewOrder) -> AppResult<ValidOrder> {
    let key = text::printable(
        &input.idempotency_key,
        1,
        128,
        "input.idempotencyKey",
        "`idempotencyKey` must be 1 to 128 printable characters (a UUID is ideal)",
    )?;
    let reference = text::printable(
        &input.buyer_reference,
        1,
        64,
        "input.buyerReference",
        "`buyerReference` (your PO number) must be 1 to 64 printable characters",
    )?;
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        return Err(AppError::bad_field(
            "input.lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let mut lines: BTreeMap<i64, i64> = BTreeMap::new();
    for (i, (product_id, quantity)) in input.lines.iter().enumerate() {
        if !(1..=MAX_LINE_QUANTITY).contains(quantity) {
            return Err(AppError::bad_field(
                format!("input.lines.{i}.quantity"),
                format!("`quantity` must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        // Two lines for one product are merged into one.
        let merged = lines.entry(*product_id).or_insert(0);
        *merged += quantity;
        if *merged > MAX_LINE_QUANTITY {
            return Err(AppError::bad_field(
                format!("input.lines.{i}.quantity"),
                format!("one product may be ordered at most {MAX_LINE_QUANTITY} units per order"),
            ));
        }
    }
    let canonical = format!(
        "v1|store={}|date={}|ref={}|lines={}",
        input.store_id,
        input.requested_delivery_date,
        reference,
        lines
            .iter()
            .map(|(p, q)| format!("{p}x{q}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let hash = format!("{:x}", Sha256::digest(canonical.as_bytes()));
    Ok(ValidOrder {
        idempotency_key: key,
        buyer_reference: reference,
        store_id: input.store_id,
        requested_delivery_date: input.requested_delivery_date,
        lines,
        hash,
    })
}

/// The fingerprint an order request is stored with, which a replay under
/// the same idempotency key must match: store, date, reference and lines
/// after merging, in product order.
pub fn fingerprint(input: NewOrder) -> AppResult<String> {
    Ok(validate(input)?.hash)
}
