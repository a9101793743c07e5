//! What a shopper's scan of a QR stamp may learn: the published product
//! behind a GTIN (any of its forms) or an OCOP trace code, its producer, its
//! front image, its certificate on today's business day, and for a lot the
//! expiry recorded when it shipped. Never prices, stock, partners or orders:
//! those are not even read here.

use chrono::NaiveDate;
use entity::{media as media_row, order_line, producer, product, product_image, shipment_line};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::catalog::Audience;
use crate::domain::catalog::certificates::{self, CertificateStatus};
use crate::domain::{clock, gtin};
use crate::error::AppResult;

/// What a stamp carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A GTIN as scanned; any of the 8/12/13/14-digit forms.
    Gtin(String),
    /// The code printed on the OCOP stamp.
    Trace(String),
}

/// Why a scan leads nowhere. A draft, a product in review and a code never
/// used are all `Unknown`: the page must not tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Not a GTIN at all (length, digits or check digit): arithmetic, so
    /// saying so leaks nothing and helps a mistyped code.
    InvalidGtin,
    Unknown,
    /// The product is public but this lot was never shipped.
    UnknownLot,
}

pub struct Certificate {
    pub number: String,
    pub stars: i16,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
    pub status: CertificateStatus,
}

pub struct Image {
    pub media_id: String,
    pub alt: String,
    /// Of the copy served to phones (the original when it is small).
    pub width: i32,
    pub height: i32,
}

pub struct Lot {
    pub number: String,
    /// The expiry recorded when it shipped (food and beverages carry one).
    pub expires_on: Option<NaiveDate>,
}

pub struct Origin {
    pub product: product::Model,
    /// The GTIN-14 of the product, the canonical Digital Link key.
    pub gtin14: Option<String>,
    pub producer: producer::Model,
    pub image: Option<Image>,
    pub certificate: Option<Certificate>,
    pub lot: Option<Lot>,
    /// The business day the certificate's status is for.
    pub today: NaiveDate,
}

/// The GTIN-14 of a scanned GTIN, or why it is none.
pub fn normalise(code: &str) -> Result<String, Missing> {
    gtin::to_gtin14(code).ok_or(Missing::InvalidGtin)
}

/// A lot number as GS1's AI (10) and our shipments allow: 1 to 40 visible
/// ASCII characters.
pub fn plausible_lot(lot: &str) -> bool {
    !lot.is_empty() && lot.len() <= 40 && lot.bytes().all(|b| b.is_ascii_graphic())
}

/// The origin behind `key` (and `lot`), read in at most four statements.
pub async fn find(
    db: &DatabaseConnection,
    key: &Key,
    lot: Option<&str>,
) -> AppResult<Result<Origin, Missing>> {
    let condition = match key {
        Key::Gtin(code) => match normalise(code) {
            Ok(g14) => product::Column::Gtin.is_in(gtin::stored_forms(&g14)),
            Err(missing) => return Ok(Err(missing)),
        },
        Key::Trace(code) if code.is_empty() || code.len() > 128 => {
            return Ok(Err(Missing::Unknown));
        }
        Key::Trace(code) => product::Column::TraceCode.eq(code.as_str()),
    };
    let found = product::Entity::find()
        .filter(condition)
        .filter(Audience::Public.condition())
        .find_also_related(producer::Entity)
        .one(db)
        .await?;
    let Some((product, Some(producer))) = found else {
        return Ok(Err(Missing::Unknown));
    };
    let lot = match lot {
        None => None,
        Some(number) if !plausible_lot(number) => return Ok(Err(Missing::UnknownLot)),
        Some(number) => match shipped_lot(db, product.id, number).await? {
            Some(l) => Some(l),
            None => return Ok(Err(Missing::UnknownLot)),
        },
    };
    let today = clock::business_today();
    // A product approved before any certificate was recorded carries an
    // empty number: it is shown as "no certificate", never as in force.
    let certificate = (!product.certificate_number.is_empty()).then(|| Certificate {
        number: product.certificate_number.clone(),
        stars: product.stars,
        issued_on: product.certificate_issued_on,
        expires_on: product.certificate_expires_on,
        status: certificates::status(product.certificate_expires_on, today),
    });
    Ok(Ok(Origin {
        gtin14: product.gtin.as_deref().and_then(gtin::to_gtin14),
        image: front_image(db, product.id).await?,
        producer,
        product,
        certificate,
        lot,
        today,
    }))
}

/// The FRONT image if there is one, else the first added.
async fn front_image(db: &DatabaseConnection, product_id: i64) -> AppResult<Option<Image>> {
    let images = product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .order_by_asc(product_image::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    let Some(chosen) = images
        .iter()
        .find(|i| i.role == "front")
        .or_else(|| images.first())
    else {
        return Ok(None);
    };
    let Some(file) = media_row::Entity::find_by_id(chosen.media_id.clone())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Image {
        media_id: file.id,
        alt: chosen.alt.clone(),
        width: file.phone_width.unwrap_or(file.width),
        height: file.phone_height.unwrap_or(file.height),
    }))
}

/// The latest shipment of `lot` of the product.
async fn shipped_lot(
    db: &DatabaseConnection,
    product_id: i64,
    lot: &str,
) -> AppResult<Option<Lot>> {
    let line = shipment_line::Entity::find()
        .filter(shipment_line::Column::LotNumber.eq(lot))
        .filter(
            shipment_line::Column::OrderLineId.in_subquery(
                Query::select()
                    .column(order_line::Column::Id)
                    .from(order_line::Entity)
                    .and_where(order_line::Column::ProductId.eq(product_id))
                    .to_owned(),
            ),
        )
        .order_by_desc(shipment_line::Column::Id)
        .one(db)
        .await?;
    Ok(line.map(|l| Lot {
        number: lot.to_owned(),
        expires_on: l.expiry_date,
    }))
}

/// The GS1 Digital Link of a product with a GTIN: `{base}/01/{gtin14}`.
pub fn digital_link(base: &str, gtin: Option<&str>) -> Option<String> {
    gtin.and_then(gtin::to_gtin14)
        .map(|g14| format!("{base}/01/{g14}"))
}

/// Where a product's stamp leads: its Digital Link, else `/trace/{code}`.
pub fn stamp_url(base: &str, gtin: Option<&str>, trace_code: &str) -> String {
    digital_link(base, gtin)
        .unwrap_or_else(|| format!("{base}/trace/{}", encode_segment(trace_code)))
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so a
/// trace code is one path segment whatever it holds.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_lead_to_the_digital_link_or_the_trace_page() {
        let base = "https://ocop.example.vn";
        assert_eq!(
            digital_link(base, Some("8934563138165")).as_deref(),
            Some("https://ocop.example.vn/01/08934563138165")
        );
        assert_eq!(
            stamp_url(base, None, "QN 01/ä"),
            "https://ocop.example.vn/trace/QN%2001%2F%C3%A4"
        );
        assert!(plausible_lot("L2026-11A"));
        assert!(!plausible_lot("lot with space"));
        assert!(!plausible_lot(""));
    }
}
