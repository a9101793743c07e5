//! The rules of each product field, checked once with its input path, for
//! the mutations and any bulk import alike.

use entity::enums::{Category, NetContentUnit};
use entity::product;
use sea_orm::{DbErr, Set, SqlErr};
use serde_json::{Map, Value as Json, json};
use unicode_normalization::UnicodeNormalization;

use crate::domain::{gtin, money, text};
use crate::error::{AppError, AppResult};

/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 4_000;
/// Longest label text (ingredients, storage, usage, warnings).
pub const MAX_LABEL_TEXT: usize = 2_000;
/// Largest pack size and minimum order, in units.
pub const MAX_UNITS: i64 = 100_000;

pub(super) fn name(value: &str, field: &str) -> AppResult<String> {
    // NFC, so "Gốm" typed with combining marks is stored as one spelling
    // (searches and uniqueness see the same text).
    let value: String = value.nfc().collect();
    text::printable(
        &value,
        1,
        200,
        field,
        "a name is 1 to 200 printable characters",
    )
}

pub(super) fn long_text(value: &str, max: usize, field: &str) -> AppResult<Option<String>> {
    let value: String = value.nfc().collect();
    let value = value.trim();
    if value.chars().count() > max {
        return Err(AppError::bad_field(
            field,
            format!("at most {max} characters"),
        ));
    }
    // Line breaks are text here; other control characters are not.
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::bad_field(
            field,
            "control characters are not text",
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

pub(super) fn sku(value: &str, field: &str) -> AppResult<String> {
    let value = value.trim();
    let plain = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if value.is_empty() || value.len() > 64 || !plain {
        return Err(AppError::bad_field(
            field,
            "a SKU is 1 to 64 of A-Z, a-z, 0-9, `-`, `_` and `.`",
        ));
    }
    Ok(value.to_owned())
}

fn gtin_of(value: &str, field: &str) -> AppResult<String> {
    let value = value.trim();
    if !gtin::is_valid(value) {
        return Err(AppError::bad_field(
            field,
            "a GTIN is 8, 12, 13 or 14 digits with a valid GS1 check digit",
        ));
    }
    Ok(value.to_owned())
}

fn units(value: i64, field: &str) -> AppResult<i32> {
    if !(1..=MAX_UNITS).contains(&value) {
        return Err(AppError::bad_field(
            field,
            format!("a whole number from 1 to {MAX_UNITS}"),
        ));
    }
    Ok(value as i32)
}

fn price(value: i64, field: &str) -> AppResult<i64> {
    if !(1..=money::MAX_VND).contains(&value) {
        return Err(AppError::bad_field(
            field,
            "a price is a whole number of đồng, above 0",
        ));
    }
    Ok(value)
}

fn bounded(value: i64, max: i64, field: &str, what: &str) -> AppResult<i32> {
    if !(1..=max).contains(&value) {
        return Err(AppError::bad_field(field, format!("{what} is 1 to {max}")));
    }
    Ok(value as i32)
}

/// Net content: a positive amount with at most three decimals, in
/// thousandths of its unit.
pub fn net_content(value: f64, field: &str) -> AppResult<i64> {
    let milli = (value * 1000.0).round();
    if !value.is_finite()
        || value <= 0.0
        || value > 1_000_000.0
        || (milli - value * 1000.0).abs() > 1e-6
    {
        return Err(AppError::bad_field(
            field,
            "net content is above 0, at most 1,000,000, with at most three decimals",
        ));
    }
    Ok(milli as i64)
}

/// The fields of a product as a caller sends them (None: not given).
#[derive(Default, Clone, Debug)]
pub struct ProductFields {
    pub sku: Option<String>,
    pub gtin: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub unit: Option<String>,
    pub pack_size: Option<i64>,
    pub wholesale_price: Option<i64>,
    pub min_order_quantity: Option<i64>,
    pub trace_code: Option<String>,
    pub net_content: Option<(f64, NetContentUnit)>,
    pub shelf_life_days: Option<i64>,
    pub ingredients: Option<String>,
    pub storage: Option<String>,
    pub usage: Option<String>,
    pub warnings: Option<String>,
    pub package_weight_grams: Option<i64>,
}

/// Applies `fields` to `row`, each checked; returns the JSON of what
/// changed (`{field: {from, to}}`) against `before`.
pub(super) fn apply(
    fields: &ProductFields,
    row: &mut product::ActiveModel,
    before: Option<&product::Model>,
) -> AppResult<Map<String, Json>> {
    let mut changed = Map::new();
    let mut note = |key: &str, from: Json, to: Json| {
        if from != to {
            changed.insert(key.to_owned(), json!({ "from": from, "to": to }));
        }
    };
    let was = |f: fn(&product::Model) -> Json| before.map_or(Json::Null, f);
    if let Some(v) = &fields.sku {
        let v = sku(v, "input.sku")?;
        note("sku", was(|p| json!(p.sku)), json!(v));
        row.sku = Set(v);
    }
    if let Some(v) = &fields.gtin {
        let v = (!v.trim().is_empty())
            .then(|| gtin_of(v, "input.gtin"))
            .transpose()?;
        note("gtin", was(|p| json!(p.gtin)), json!(v));
        row.gtin = Set(v);
    }
    if let Some(v) = &fields.name_vi {
        let v = name(v, "input.nameVi")?;
        note("nameVi", was(|p| json!(p.name_vi)), json!(v));
        row.name_vi = Set(v);
    }
    if let Some(v) = &fields.name_en {
        let v = name(v, "input.nameEn")?;
        note("nameEn", was(|p| json!(p.name_en)), json!(v));
        row.name_en = Set(v);
    }
    if let Some(v) = &fields.description {
        let v = long_text(v, MAX_DESCRIPTION, "input.description")?.unwrap_or_default();
        note("description", was(|p| json!(p.description)), json!(v));
        row.description = Set(v);
    }
    if let Some(v) = fields.category {
        note(
            "category",
            was(|p| json!(sea_orm::ActiveEnum::to_value(&p.category))),
            json!(sea_orm::ActiveEnum::to_value(&v)),
        );
        row.category = Set(v);
    }
    if let Some(v) = &fields.unit {
        let v = text::printable(
            v,
            1,
            20,
            "input.unit",
            "a unit is 1 to 20 characters (chai, hộp, kg ...)",
        )?;
        note("unit", was(|p| json!(p.unit)), json!(v));
        row.unit = Set(v);
    }
    if let Some(v) = fields.pack_size {
        let v = units(v, "input.packSize")?;
        note("packSize", was(|p| json!(p.pack_size)), json!(v));
        row.pack_size = Set(v);
    }
    if let Some(v) = fields.wholesale_price {
        let v = price(v, "input.wholesalePrice")?;
        note(
            "wholesalePrice",
            was(|p| json!(p.wholesale_price_vnd)),
            json!(v),
        );
        row.wholesale_price_vnd = Set(v);
    }
    if let Some(v) = fields.min_order_quantity {
        let v = units(v, "input.minOrderQuantity")?;
        note(
            "minOrderQuantity",
            was(|p| json!(p.min_order_qty)),
            json!(v),
        );
        row.min_order_qty = Set(v);
    }
    if let Some(v) = &fields.trace_code {
        let v = text::printable(
            v,
            1,
            128,
            "input.traceCode",
            "a trace code is 1 to 128 characters",
        )?;
        note("traceCode", was(|p| json!(p.trace_code)), json!(v));
        row.trace_code = Set(v);
    }
    if let Some((value, unit)) = fields.net_content {
        let milli = net_content(value, "input.netContent.value")?;
        note(
            "netContent",
            was(|p| {
                json!([
                    p.net_content_milli,
                    p.net_content_unit
                        .map(|u| sea_orm::ActiveEnum::to_value(&u))
                ])
            }),
            json!([milli, sea_orm::ActiveEnum::to_value(&unit)]),
        );
        row.net_content_milli = Set(Some(milli));
        row.net_content_unit = Set(Some(unit));
    }
    if let Some(v) = fields.shelf_life_days {
        let v = bounded(v, 3_650, "input.shelfLifeDays", "shelf life, in days,")?;
        note("shelfLifeDays", was(|p| json!(p.shelf_life_days)), json!(v));
        row.shelf_life_days = Set(Some(v));
    }
    if let Some(v) = fields.package_weight_grams {
        let v = bounded(
            v,
            1_000_000,
            "input.packageWeightGrams",
            "package weight, in grams,",
        )?;
        note(
            "packageWeightGrams",
            was(|p| json!(p.package_weight_grams)),
            json!(v),
        );
        row.package_weight_grams = Set(Some(v));
    }
    for (value, key, field, set) in [
        (&fields.ingredients, "ingredients", "input.ingredients", 0),
        (&fields.storage, "storage", "input.storage", 1),
        (&fields.usage, "usage", "input.usage", 2),
        (&fields.warnings, "warnings", "input.warnings", 3),
    ] {
        let Some(v) = value else { continue };
        let v = long_text(v, MAX_LABEL_TEXT, field)?;
        let old = before.and_then(|p| match set {
            0 => p.ingredients.clone(),
            1 => p.storage.clone(),
            2 => p.usage_instructions.clone(),
            _ => p.warnings.clone(),
        });
        note(key, json!(old), json!(v));
        match set {
            0 => row.ingredients = Set(v),
            1 => row.storage = Set(v),
            2 => row.usage_instructions = Set(v),
            _ => row.warnings = Set(v),
        }
    }
    Ok(changed)
}

/// A unique value already taken, as the caller's fault on its field.
pub(super) fn taken(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => {
            let (field, what) = if detail.contains("gtin") {
                ("input.gtin", "GTIN")
            } else if detail.contains("trace_code") {
                ("input.traceCode", "trace code")
            } else {
                ("input.sku", "SKU")
            };
            AppError::bad_field(
                field,
                format!("this {what} is already used by another product"),
            )
        }
        _ => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_content_is_exact_to_a_thousandth() {
        assert_eq!(net_content(0.5, "f").ok(), Some(500));
        assert_eq!(net_content(1.25, "f").ok(), Some(1_250));
        assert!(net_content(0.0005, "f").is_err());
        assert!(net_content(-1.0, "f").is_err());
        assert!(net_content(f64::NAN, "f").is_err());
    }

    #[test]
    fn names_are_stored_in_one_spelling() {
        let decomposed = "Go\u{0302}\u{0301}m"; // "Gốm" with combining marks
        assert_eq!(name(decomposed, "f").ok().as_deref(), Some("Gốm"));
        assert!(name("", "f").is_err());
        assert!(sku("BL MAM", "f").is_err(), "no spaces in a SKU");
        assert!(
            gtin_of("8934563138166", "f").is_err(),
            "a wrong check digit"
        );
    }
}
