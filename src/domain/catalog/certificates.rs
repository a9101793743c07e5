//! OCOP certificates: every one a product has held is kept (a renewal adds
//! one), the latest is mirrored on the product (its stars, number and
//! dates, which every read and `placeOrder` use), and a certificate's
//! status is read on the business day (Asia/Ho_Chi_Minh).

use chrono::{Months, NaiveDate};
use entity::{certificate, product};
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

/// An OCOP certificate is valid for at most 36 months.
pub const MAX_MONTHS: u32 = 36;
/// Within this many days of its expiry a certificate is EXPIRING.
pub const EXPIRING_DAYS: i64 = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateStatus {
    Valid,
    Expiring,
    Expired,
}

/// The status on `today` of a certificate expiring on `expires_on` (the
/// last day it is in force).
pub fn status(expires_on: NaiveDate, today: NaiveDate) -> CertificateStatus {
    if expires_on < today {
        CertificateStatus::Expired
    } else if (expires_on - today).num_days() <= EXPIRING_DAYS {
        CertificateStatus::Expiring
    } else {
        CertificateStatus::Valid
    }
}

pub struct NewCertificate {
    pub number: String,
    pub stars: i16,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// The certificate's rules, each with its field path: a number, 3 to 5
/// stars, issued no later than today, expiring after it was issued and
/// at most 36 months later.
pub fn validate(input: &NewCertificate, today: NaiveDate) -> AppResult<String> {
    let number = text::printable(
        &input.number,
        1,
        64,
        "input.number",
        "a certificate number is 1 to 64 characters",
    )?;
    if !(3..=5).contains(&input.stars) {
        return Err(AppError::bad_field(
            "input.stars",
            "OCOP stars are 3, 4 or 5",
        ));
    }
    if input.issued_on > today {
        return Err(AppError::bad_field(
            "input.issuedOn",
            "a certificate cannot be issued in the future",
        ));
    }
    let latest = input
        .issued_on
        .checked_add_months(Months::new(MAX_MONTHS))
        .unwrap_or(NaiveDate::MAX);
    if input.expires_on <= input.issued_on || input.expires_on > latest {
        return Err(AppError::bad_field(
            "input.expiresOn",
            format!(
                "an OCOP certificate expires after it is issued, and at most {MAX_MONTHS} months later"
            ),
        ));
    }
    Ok(number)
}

/// Records a certificate of a product the caller may write. The latest by
/// issue date becomes the product's own (stars and dates), raising its
/// version and leaving an audit row.
pub async fn record(
    db: &Db,
    viewer: &Viewer,
    product_id: i64,
    input: NewCertificate,
) -> AppResult<certificate::Model> {
    let number = validate(&input, clock::business_today())?;
    let writer = Writer::of(viewer)?;
    let (txn, slot) = db::begin_write(db).await?;
    let created = record_in(&txn, viewer, writer, product_id, &input, number).await?;
    slot.commit(txn).await?;
    Ok(created)
}

/// `record` in the caller's transaction, for a certificate `validate`
/// accepted (as `number`): the one path of `recordCertificate` and of an
/// import's certificate columns.
pub(crate) async fn record_in(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    writer: Writer,
    product_id: i64,
    input: &NewCertificate,
    number: String,
) -> AppResult<certificate::Model> {
    let current = write::writable_product(txn, writer, product_id).await?;
    let created = certificate::ActiveModel {
        id: NotSet,
        product_id: Set(product_id),
        number: Set(number.clone()),
        stars: Set(input.stars),
        issued_on: Set(input.issued_on),
        expires_on: Set(input.expires_on),
        recorded_by: Set(viewer.partner_id()),
        created_at: Set(clock::now()),
    }
    .insert(txn)
    .await?;
    if input.issued_on >= current.certificate_issued_on || current.certificate_number.is_empty() {
        let mut row: product::ActiveModel = current.clone().into();
        row.stars = Set(input.stars);
        row.certificate_number = Set(number.clone());
        row.certificate_issued_on = Set(input.issued_on);
        row.certificate_expires_on = Set(input.expires_on);
        write::save_versioned(
            txn,
            viewer,
            &current,
            row,
            "certificate",
            json!({
                "certificateNumber": { "from": current.certificate_number, "to": number },
                "stars": { "from": current.stars, "to": input.stars },
                "certificateExpiresOn": { "from": current.certificate_expires_on, "to": input.expires_on },
            }),
        )
        .await?;
    }
    Ok(created)
}

/// Every certificate of each product, newest first.
pub async fn of_products(
    db: &DatabaseConnection,
    product_ids: &[i64],
) -> AppResult<Vec<certificate::Model>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::ProductId.is_in(product_ids.iter().copied()))
        .order_by_desc(certificate::Column::IssuedOn)
        .order_by_desc(certificate::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn a_certificate_is_valid_then_expiring_then_expired() {
        let expires = day("2027-03-31");
        assert_eq!(
            status(expires, day("2026-12-30")),
            CertificateStatus::Valid,
            "91 days left"
        );
        assert_eq!(
            status(expires, day("2026-12-31")),
            CertificateStatus::Expiring,
            "90 days left"
        );
        assert_eq!(
            status(expires, day("2027-01-01")),
            CertificateStatus::Expiring
        );
        assert_eq!(
            status(expires, day("2027-03-31")),
            CertificateStatus::Expiring,
            "in force on its last day"
        );
        assert_eq!(
            status(expires, day("2027-04-01")),
            CertificateStatus::Expired
        );
    }

    #[test]
    fn certificates_last_at_most_36_months_and_are_never_issued_in_the_future() {
        let today = day("2026-12-03");
        let cert = |issued: &str, expires: &str, stars: i16| NewCertificate {
            number: "OCOP-HN-2026-001".into(),
            stars,
            issued_on: day(issued),
            expires_on: day(expires),
        };
        assert!(validate(&cert("2026-01-01", "2028-12-31", 4), today).is_ok());
        assert!(
            validate(&cert("2026-01-01", "2029-01-01", 4), today).is_ok(),
            "exactly 36 months"
        );
        assert!(
            validate(&cert("2026-01-01", "2029-01-02", 4), today).is_err(),
            "past 36 months"
        );
        assert!(
            validate(&cert("2026-12-04", "2027-12-04", 4), today).is_err(),
            "issued tomorrow"
        );
        assert!(
            validate(&cert("2026-01-01", "2026-01-01", 4), today).is_err(),
            "expires as issued"
        );
        assert!(
            validate(&cert("2026-01-01", "2027-01-01", 2), today).is_err(),
            "two stars"
        );
        assert!(
            validate(&cert("2026-01-01", "2027-01-01", 6), today).is_err(),
            "six stars"
        );
    }
}
