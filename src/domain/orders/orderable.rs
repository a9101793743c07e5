//! What an order line may ask for: only an ACTIVE product whose OCOP
//! certificate is in force today (the business day). Orders already placed
//! are not touched when a product stops being orderable.

use chrono::NaiveDate;
use entity::enums::ProductStatus;
use entity::product;

use crate::error::{AppError, AppResult};
use crate::ids;

/// BAD_USER_INPUT on line `n` with `extensions.reason` (NOT_ORDERABLE or
/// CERTIFICATE_EXPIRED) and the line's `productId`, or Ok.
pub fn check(product: &product::Model, today: NaiveDate, n: usize) -> AppResult<()> {
    let refuse = |reason: &'static str, message: String| {
        AppError::bad_field(format!("input.lines.{n}.productId"), message)
            .with("reason", reason)
            .with("productId", ids::encode(ids::Kind::Product, product.id).0)
    };
    if product.status != ProductStatus::Active {
        return Err(refuse(
            "NOT_ORDERABLE",
            format!("{} is not on sale and cannot be ordered", product.sku),
        ));
    }
    if product.certificate_expires_on < today {
        return Err(refuse(
            "CERTIFICATE_EXPIRED",
            format!(
                "{}'s OCOP certificate expired on {}: it cannot be ordered until it is renewed",
                product.sku, product.certificate_expires_on
            ),
        ));
    }
    Ok(())
}
