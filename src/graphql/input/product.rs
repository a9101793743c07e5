//! Inputs of the catalogue writes, turned into the domain's field sets
//! (every rule is checked there, once, with its input path).

use async_graphql::{ID, InputObject};
use chrono::NaiveDate;

use crate::domain::catalog::certificates::NewCertificate;
use crate::domain::catalog::write::{ProducerFields, ProductFields};
use crate::error::AppResult;
use crate::graphql::object::product::{Category, ProducerKind};
use crate::graphql::object::product_label::NetContentUnit;
use crate::graphql::scalars::Vnd;
use crate::ids::{self, Kind};

/// Net content as the label states it.
#[derive(InputObject, Clone, Copy)]
pub struct NetContentInput {
    /// Above 0, at most three decimals (0.5 for half a litre).
    pub value: f64,
    pub unit: NetContentUnit,
}

/// A new product, created as a DRAFT that only its producer and the
/// operator see.
#[derive(InputObject)]
pub struct CreateProductInput {
    pub producer_id: ID,
    /// 1 to 64 of A-Z, a-z, 0-9, `-`, `_`, `.`; unique.
    pub sku: String,
    /// GS1 barcode (8, 12, 13 or 14 digits, check digit validated); unique.
    pub gtin: Option<String>,
    /// Vietnamese name, with its diacritics (stored NFC-normalised).
    pub name_vi: String,
    pub name_en: String,
    pub description: Option<String>,
    pub category: Category,
    /// Selling unit: `chai`, `hộp`, `gói` ...
    pub unit: String,
    pub pack_size: i32,
    pub wholesale_price: Vnd,
    pub min_order_quantity: i32,
    /// What the OCOP QR stamp will carry; `OCOP-{sku}` when left out.
    pub trace_code: Option<String>,
    pub net_content: Option<NetContentInput>,
    pub shelf_life_days: Option<i32>,
    pub ingredients: Option<String>,
    pub storage: Option<String>,
    pub usage: Option<String>,
    pub warnings: Option<String>,
    pub package_weight_grams: Option<i32>,
}

impl CreateProductInput {
    pub fn into_domain(self) -> AppResult<(i64, ProductFields)> {
        let producer = ids::decode(Kind::Producer, &self.producer_id, "input.producerId")?;
        Ok((
            producer,
            ProductFields {
                sku: Some(self.sku),
                gtin: self.gtin,
                name_vi: Some(self.name_vi),
                name_en: Some(self.name_en),
                description: self.description,
                category: Some(self.category.into()),
                unit: Some(self.unit),
                pack_size: Some(i64::from(self.pack_size)),
                wholesale_price: Some(self.wholesale_price.0),
                min_order_quantity: Some(i64::from(self.min_order_quantity)),
                trace_code: self.trace_code,
                net_content: self.net_content.map(|n| (n.value, n.unit.into())),
                shelf_life_days: self.shelf_life_days.map(i64::from),
                ingredients: self.ingredients,
                storage: self.storage,
                usage: self.usage,
                warnings: self.warnings,
                package_weight_grams: self.package_weight_grams.map(i64::from),
            },
        ))
    }
}

/// Changes to a product; fields left out stay as they are (an empty text
/// clears an optional one).
#[derive(InputObject, Default)]
pub struct UpdateProductInput {
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub unit: Option<String>,
    pub pack_size: Option<i32>,
    pub wholesale_price: Option<Vnd>,
    pub min_order_quantity: Option<i32>,
    pub trace_code: Option<String>,
    pub net_content: Option<NetContentInput>,
    pub shelf_life_days: Option<i32>,
    pub ingredients: Option<String>,
    pub storage: Option<String>,
    pub usage: Option<String>,
    pub warnings: Option<String>,
    pub package_weight_grams: Option<i32>,
}

impl From<UpdateProductInput> for ProductFields {
    fn from(i: UpdateProductInput) -> Self {
        ProductFields {
            sku: i.sku,
            gtin: i.gtin,
            name_vi: i.name_vi,
            name_en: i.name_en,
            description: i.description,
            category: i.category.map(Into::into),
            unit: i.unit,
            pack_size: i.pack_size.map(i64::from),
            wholesale_price: i.wholesale_price.map(|v| v.0),
            min_order_quantity: i.min_order_quantity.map(i64::from),
            trace_code: i.trace_code,
            net_content: i.net_content.map(|n| (n.value, n.unit.into())),
            shelf_life_days: i.shelf_life_days.map(i64::from),
            ingredients: i.ingredients,
            storage: i.storage,
            usage: i.usage,
            warnings: i.warnings,
            package_weight_grams: i.package_weight_grams.map(i64::from),
        }
    }
}

/// A new OCOP producer (the operator onboards it).
#[derive(InputObject)]
pub struct CreateProducerInput {
    /// 1 to 64 of A-Z, a-z, 0-9, `-`, `_`, `.`; unique.
    pub code: String,
    pub name: String,
    pub kind: ProducerKind,
    pub commune: String,
    pub district: String,
    pub province: String,
    /// Street address, as the label prints it.
    pub address: Option<String>,
}

impl From<CreateProducerInput> for ProducerFields {
    fn from(i: CreateProducerInput) -> Self {
        ProducerFields {
            code: Some(i.code),
            name: Some(i.name),
            kind: Some(i.kind.into()),
            commune: Some(i.commune),
            district: Some(i.district),
            province: Some(i.province),
            address: i.address,
        }
    }
}

/// Changes to a producer; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateProducerInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<ProducerKind>,
    pub commune: Option<String>,
    pub district: Option<String>,
    pub province: Option<String>,
    pub address: Option<String>,
}

impl From<UpdateProducerInput> for ProducerFields {
    fn from(i: UpdateProducerInput) -> Self {
        ProducerFields {
            code: i.code,
            name: i.name,
            kind: i.kind.map(Into::into),
            commune: i.commune,
            district: i.district,
            province: i.province,
            address: i.address,
        }
    }
}

/// An OCOP certificate as issued (a renewal is a new one).
#[derive(InputObject)]
pub struct RecordCertificateInput {
    pub number: String,
    /// 3, 4 or 5.
    pub stars: i32,
    /// Not in the future.
    pub issued_on: NaiveDate,
    /// Its last day in force: after `issuedOn`, at most 36 months later.
    pub expires_on: NaiveDate,
}

impl From<RecordCertificateInput> for NewCertificate {
    fn from(i: RecordCertificateInput) -> Self {
        NewCertificate {
            number: i.number,
            stars: i16::try_from(i.stars).unwrap_or(i16::MAX),
            issued_on: i.issued_on,
            expires_on: i.expires_on,
        }
    }
}
