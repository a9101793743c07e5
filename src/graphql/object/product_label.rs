//! What a product's label, certificates, review and completeness look like
//! to a client: the third release's catalogue fields, beside `product.rs`.

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{certificate, product, product_audit};

use crate::domain::catalog::certificates::{self, CertificateStatus as Status};
use crate::domain::catalog::completeness;
use crate::domain::clock;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::NetContentUnit")]
pub enum NetContentUnit {
    G,
    Kg,
    Ml,
    L,
    Piece,
}

/// Net content as the label states it (khối lượng tịnh / thể tích thực).
#[derive(SimpleObject)]
pub struct NetContent {
    /// At most three decimals.
    pub value: f64,
    pub unit: NetContentUnit,
}

impl NetContent {
    pub fn of(p: &product::Model) -> Option<Self> {
        Some(NetContent {
            value: p.net_content_milli? as f64 / 1000.0,
            unit: p.net_content_unit?.into(),
        })
    }
}

/// In force, in force but lapsing within 90 days, or lapsed; on the
/// business day (Asia/Ho_Chi_Minh).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    Valid,
    Expiring,
    Expired,
}

impl From<CertificateStatus> for Status {
    fn from(s: CertificateStatus) -> Self {
        match s {
            CertificateStatus::Valid => Status::Valid,
            CertificateStatus::Expiring => Status::Expiring,
            CertificateStatus::Expired => Status::Expired,
        }
    }
}

impl From<Status> for CertificateStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Valid => CertificateStatus::Valid,
            Status::Expiring => CertificateStatus::Expiring,
            Status::Expired => CertificateStatus::Expired,
        }
    }
}

/// An OCOP certificate of a product.
#[derive(SimpleObject)]
pub struct Certificate {
    /// Number printed on the certificate.
    pub number: String,
    /// OCOP star rating it awards, 3 to 5.
    pub stars: i32,
    pub issued_on: NaiveDate,
    /// Its last day in force.
    pub expires_on: NaiveDate,
    pub status: CertificateStatus,
    /// Whether it is in force today (the business day).
    pub valid_today: bool,
}

impl Certificate {
    fn new(number: String, stars: i16, issued_on: NaiveDate, expires_on: NaiveDate) -> Self {
        let today = clock::business_today();
        Certificate {
            number,
            stars: i32::from(stars),
            issued_on,
            expires_on,
            status: certificates::status(expires_on, today).into(),
            valid_today: issued_on <= today && today <= expires_on,
        }
    }

    /// The product's latest certificate; None before one is recorded.
    pub fn latest(p: &product::Model) -> Option<Self> {
        (!p.certificate_number.is_empty()).then(|| {
            Self::new(
                p.certificate_number.clone(),
                p.stars,
                p.certificate_issued_on,
                p.certificate_expires_on,
            )
        })
    }

    pub fn of(c: certificate::Model) -> Self {
        Self::new(c.number, c.stars, c.issued_on, c.expires_on)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Approve,
    Reject,
}

impl From<ReviewDecision> for entity::enums::ReviewDecision {
    fn from(d: ReviewDecision) -> Self {
        match d {
            ReviewDecision::Approve => entity::enums::ReviewDecision::Approve,
            ReviewDecision::Reject => entity::enums::ReviewDecision::Reject,
        }
    }
}

/// The operator's last decision on a product.
#[derive(SimpleObject)]
pub struct Review {
    pub decision: ReviewDecision,
    pub reasons: Vec<String>,
    pub at: DateTime<Utc>,
}

impl Review {
    pub fn of(p: &product::Model) -> Option<Self> {
        let decision = match p.review_decision? {
            entity::enums::ReviewDecision::Approve => ReviewDecision::Approve,
            entity::enums::ReviewDecision::Reject => ReviewDecision::Reject,
        };
        Some(Review {
            decision,
            reasons: p
                .review_reasons
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default(),
            at: p.reviewed_at?,
        })
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CompletenessRule {
    /// Label content the law requires of every product.
    Label,
    /// Label content the law requires of food, beverages and herbal products.
    FoodLabel,
    /// An OCOP certificate in force.
    Certificate,
    /// At least one product image.
    Images,
    /// A retail chain's own listing rule.
    Listing,
}

/// One thing a product lacks.
#[derive(SimpleObject)]
pub struct MissingItem {
    /// The `createProduct` / `updateProduct` field that fills it.
    pub field: String,
    pub rule: CompletenessRule,
    /// What to do, in Vietnamese.
    pub message: String,
}

/// How complete a product is for listing.
#[derive(SimpleObject)]
pub struct Completeness {
    /// Share of the checks it passes, 0 to 100.
    pub score: i32,
    /// Nothing is missing: it may be submitted, and listed.
    pub ready: bool,
    pub missing: Vec<MissingItem>,
}

impl From<completeness::Completeness> for Completeness {
    fn from(c: completeness::Completeness) -> Self {
        Completeness {
            score: i32::from(c.score),
            ready: c.ready(),
            missing: c
                .missing
                .into_iter()
                .map(|m| MissingItem {
                    field: m.field.to_owned(),
                    rule: match m.rule {
                        completeness::Rule::Label => CompletenessRule::Label,
                        completeness::Rule::FoodLabel => CompletenessRule::FoodLabel,
                        completeness::Rule::Certificate => CompletenessRule::Certificate,
                        completeness::Rule::Images => CompletenessRule::Images,
                        completeness::Rule::Listing => CompletenessRule::Listing,
                    },
                    message: m.message.to_owned(),
                })
                .collect(),
        }
    }
}

/// One write to a product.
#[derive(SimpleObject)]
pub struct ProductChange {
    /// create, update, submit, approve, reject, discontinue, certificate.
    pub action: String,
    /// Code of the partner who made it.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The version it made.
    pub version: i32,
    /// Each field changed, `{"field": {"from": .., "to": ..}}`.
    pub changes: async_graphql::Json<serde_json::Value>,
}

impl ProductChange {
    pub fn of(row: product_audit::Model, actor: String) -> Self {
        ProductChange {
            action: row.action,
            actor,
            at: row.created_at,
            version: row.version,
            changes: async_graphql::Json(serde_json::from_str(&row.changes).unwrap_or_default()),
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ImageRole {
    Front,
    Back,
    Label,
    Other,
}

impl ImageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageRole::Front => "front",
            ImageRole::Back => "back",
            ImageRole::Label => "label",
            ImageRole::Other => "other",
        }
    }
    fn parse(s: &str) -> Self {
        match s {
            "front" => ImageRole::Front,
            "back" => ImageRole::Back,
            "label" => ImageRole::Label,
            _ => ImageRole::Other,
        }
    }
}

/// An image of a product, served from `GET /media/{id}` (cached for good).
#[derive(SimpleObject)]
pub struct ProductImage {
    pub media_id: String,
    /// Path on this gateway: `/media/{id}`.
    pub url: String,
    pub width: i32,
    pub height: i32,
    /// The copy for phones, at most 480 px a side (JPEG; the original
    /// itself when it is no larger): `/media/{id}/480`.
    pub phone_url: String,
    pub phone_width: i32,
    pub phone_height: i32,
    /// What the image shows, for screen readers.
    pub alt: String,
    pub role: ImageRole,
}

impl ProductImage {
    pub fn of(image: entity::product_image::Model, file: entity::media::Model) -> Self {
        ProductImage {
            url: format!("/media/{}", file.id),
            phone_url: crate::domain::catalog::images::phone_url(&file.id),
            phone_width: file.phone_width.unwrap_or(file.width),
            phone_height: file.phone_height.unwrap_or(file.height),
            media_id: file.id,
            width: file.width,
            height: file.height,
            alt: image.alt,
            role: ImageRole::parse(&image.role),
        }
    }
}
