//! What a product still lacks before a chain can list it, as pure rules:
//! the label content Vietnamese law requires of goods on sale (name,
//! producer's name and address, origin, net content; for food, beverages
//! and herbal products also shelf life, ingredients, storage and usage;
//! Decree 43/2017/ND-CP and 111/2021/ND-CP on labels), a certificate in
//! force, and at least one image. Each gap comes with the rule it breaks
//! and a sentence a producer understands, in Vietnamese.

use chrono::NaiveDate;
use entity::enums::Category;
use entity::{producer, product};

use super::certificates::{self, CertificateStatus};

/// The rule a gap breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Label content required by law for every product.
    Label,
    /// Label content required by law for food, beverages and herbal products.
    FoodLabel,
    /// A certificate in force (OCOP).
    Certificate,
    /// At least one image.
    Images,
    /// A retail chain's own listing rule (`setListingRequirements`).
    Listing,
}

/// Fields a chain may require beyond the label law.
pub const LISTABLE: [&str; 10] = [
    "gtin",
    "description",
    "nameEn",
    "netContent",
    "shelfLifeDays",
    "ingredients",
    "storage",
    "usage",
    "warnings",
    "packageWeightGrams",
];

/// A chain's listing rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requirements {
    pub required_fields: Vec<String>,
    pub min_images: usize,
    pub min_shelf_life_days: Option<i32>,
}

impl Requirements {
    /// The rules stored on a partner, if it set any.
    pub fn of(p: &entity::partner::Model) -> Option<Self> {
        if p.listing_required_fields.is_none()
            && p.listing_min_images.is_none()
            && p.listing_min_shelf_life_days.is_none()
        {
            return None;
        }
        Some(Requirements {
            required_fields: p
                .listing_required_fields
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or_default(),
            min_images: p.listing_min_images.unwrap_or(0).max(0) as usize,
            min_shelf_life_days: p.listing_min_shelf_life_days,
        })
    }
}

fn has(p: &product::Model, field: &str) -> bool {
    match field {
        "gtin" => p.gtin.is_some(),
        "description" => !p.description.trim().is_empty(),
        "nameEn" => !p.name_en.trim().is_empty(),
        "netContent" => p.net_content_milli.is_some(),
        "shelfLifeDays" => p.shelf_life_days.is_some(),
        "ingredients" => filled(&p.ingredients),
        "storage" => filled(&p.storage),
        "usage" => filled(&p.usage_instructions),
        "warnings" => filled(&p.warnings),
        "packageWeightGrams" => p.package_weight_grams.is_some(),
        _ => true,
    }
}

/// `measure`, then a chain's own rules on top.
pub fn measure_for(
    p: &product::Model,
    maker: &producer::Model,
    images: usize,
    today: NaiveDate,
    chain: Option<&Requirements>,
) -> Completeness {
    let base = measure(p, maker, images, today);
    let Some(chain) = chain else {
        return base;
    };
    let mut checks: Vec<(bool, Missing)> = Vec::new();
    for field in &chain.required_fields {
        if let Some(known) = LISTABLE.iter().find(|f| **f == field.as_str()) {
            checks.push((
                has(p, known),
                Missing {
                    field: known,
                    rule: Rule::Listing,
                    message: "Chuỗi bán lẻ này yêu cầu thông tin này để niêm yết sản phẩm.",
                },
            ));
        }
    }
    if chain.min_images > 0 {
        checks.push((
            images >= chain.min_images,
            Missing {
                field: "images",
                rule: Rule::Listing,
                message: "Chuỗi bán lẻ này yêu cầu thêm ảnh sản phẩm.",
            },
        ));
    }
    if let Some(days) = chain.min_shelf_life_days {
        checks.push((
            p.shelf_life_days.is_some_and(|d| d >= days),
            Missing {
                field: "shelfLifeDays",
                rule: Rule::Listing,
                message: "Hạn sử dụng ngắn hơn mức chuỗi bán lẻ này yêu cầu.",
            },
        ));
    }
    // The score is over every check, the law's and the chain's.
    let law_total = base.total;
    let total = law_total + checks.len();
    let passed = base.passed + checks.iter().filter(|(ok, _)| *ok).count();
    let mut missing = base.missing;
    missing.extend(checks.into_iter().filter(|(ok, _)| !ok).map(|(_, m)| m));
    Completeness {
        score: ((passed * 100) / total.max(1)) as u8,
        missing,
        total,
        passed,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The input field (as `createProduct` names it) that would fill it.
    pub field: &'static str,
    pub rule: Rule,
    pub message: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completeness {
    /// Share of the checks passed, 0 to 100.
    pub score: u8,
    pub missing: Vec<Missing>,
    /// Checks made, and passed.
    pub total: usize,
    pub passed: usize,
}

impl Completeness {
    pub fn ready(&self) -> bool {
        self.missing.is_empty()
    }
}

fn filled(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

fn food(category: Category) -> bool {
    matches!(
        category,
        Category::Food | Category::Beverages | Category::HerbalProducts
    )
}

/// Measures `p` (made by `maker`, with `images` images) on `today`.
pub fn measure(
    p: &product::Model,
    maker: &producer::Model,
    images: usize,
    today: NaiveDate,
) -> Completeness {
    let mut checks: Vec<(bool, Missing)> = vec![
        (
            !p.name_vi.trim().is_empty(),
            Missing {
                field: "nameVi",
                rule: Rule::Label,
                message: "Thiếu tên sản phẩm bằng tiếng Việt.",
            },
        ),
        (
            !maker.name.trim().is_empty() && !maker.address.trim().is_empty(),
            Missing {
                field: "producer.address",
                rule: Rule::Label,
                message: "Thiếu tên và địa chỉ của cơ sở sản xuất.",
            },
        ),
        (
            !maker.province.trim().is_empty() && !maker.commune.trim().is_empty(),
            Missing {
                field: "producer.province",
                rule: Rule::Label,
                message: "Thiếu xuất xứ (xã, tỉnh nơi sản xuất).",
            },
        ),
        (
            p.net_content_milli.is_some() && p.net_content_unit.is_some(),
            Missing {
                field: "netContent",
                rule: Rule::Label,
                message: "Thiếu định lượng (khối lượng tịnh hoặc thể tích thực, kèm đơn vị).",
            },
        ),
    ];
    if food(p.category) {
        checks.extend([
            (
                p.shelf_life_days.is_some(),
                Missing {
                    field: "shelfLifeDays",
                    rule: Rule::FoodLabel,
                    message: "Thiếu hạn sử dụng (số ngày kể từ ngày sản xuất).",
                },
            ),
            (
                filled(&p.ingredients),
                Missing {
                    field: "ingredients",
                    rule: Rule::FoodLabel,
                    message: "Thiếu thành phần.",
                },
            ),
            (
                filled(&p.storage),
                Missing {
                    field: "storage",
                    rule: Rule::FoodLabel,
                    message: "Thiếu hướng dẫn bảo quản.",
                },
            ),
            (
                filled(&p.usage_instructions),
                Missing {
                    field: "usage",
                    rule: Rule::FoodLabel,
                    message: "Thiếu hướng dẫn sử dụng.",
                },
            ),
        ]);
    }
    let certified = !p.certificate_number.is_empty()
        && certificates::status(p.certificate_expires_on, today) != CertificateStatus::Expired;
    checks.push((
        certified,
        Missing {
            field: "certificate",
            rule: Rule::Certificate,
            message: "Chưa có giấy chứng nhận OCOP còn hiệu lực.",
        },
    ));
    checks.push((
        images >= 1,
        Missing {
            field: "images",
            rule: Rule::Images,
            message: "Cần ít nhất một ảnh sản phẩm.",
        },
    ));
    let total = checks.len();
    let passed = checks.iter().filter(|(ok, _)| *ok).count();
    Completeness {
        score: ((passed * 100) / total.max(1)) as u8,
        missing: checks
            .into_iter()
            .filter(|(ok, _)| !ok)
            .map(|(_, m)| m)
            .collect(),
        total,
        passed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use entity::enums::{NetContentUnit, ProducerKind, ProductStatus};

    fn maker() -> producer::Model {
        producer::Model {
            id: 1,
            code: "HTX-BL".into(),
            name: "HTX Nước mắm Ba Làng".into(),
            kind: ProducerKind::Cooperative,
            commune: "Hải Thanh".into(),
            district: "Tĩnh Gia".into(),
            province: "Thanh Hóa".into(),
            province_key: "thanh hoa".into(),
            district_key: "tinh gia".into(),
            created_at: Utc::now(),
            address: "Thôn Ba Làng".into(),
        }
    }

    fn sauce() -> product::Model {
        product::Model {
            id: 1,
            sku: "BL-1".into(),
            gtin: None,
            name_vi: "Nước mắm Ba Làng".into(),
            name_en: "Ba Lang fish sauce".into(),
            description: String::new(),
            search_text: String::new(),
            category: Category::Food,
            stars: 4,
            certificate_number: "OCOP-TH-1".into(),
            certificate_issued_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            certificate_expires_on: NaiveDate::from_ymd_opt(2028, 12, 31).unwrap_or_default(),
            trace_code: "T1".into(),
            unit: "chai".into(),
            pack_size: 12,
            wholesale_price_vnd: 135_000,
            min_order_qty: 12,
            status: ProductStatus::Draft,
            producer_id: 1,
            reorder_point: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
            net_content_milli: Some(500_000),
            net_content_unit: Some(NetContentUnit::Ml),
            shelf_life_days: Some(540),
            ingredients: Some("Cá cơm, muối".into()),
            storage: Some("Nơi khô ráo, thoáng mát".into()),
            usage_instructions: Some("Dùng trực tiếp".into()),
            warnings: None,
            package_weight_grams: Some(650),
            review_decision: None,
            review_reasons: None,
            reviewed_at: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default()
    }

    #[test]
    fn a_complete_food_product_is_ready() {
        let c = measure(&sauce(), &maker(), 1, today());
        assert_eq!((c.score, c.ready()), (100, true), "{c:?}");
    }

    #[test]
    fn food_needs_its_label_lines_a_vase_does_not() {
        let mut p = sauce();
        p.ingredients = Some("  ".into());
        p.shelf_life_days = None;
        let c = measure(&p, &maker(), 1, today());
        let fields: Vec<_> = c.missing.iter().map(|m| m.field).collect();
        assert_eq!(fields, ["shelfLifeDays", "ingredients"]);
        assert!(c.missing.iter().all(|m| m.rule == Rule::FoodLabel));
        assert_eq!(c.score, 80);
        p.category = Category::HandicraftsSouvenirs;
        assert!(measure(&p, &maker(), 1, today()).ready(), "not food");
    }

    #[test]
    fn a_chain_adds_its_own_rules_on_top_of_the_law() {
        let chain = Requirements {
            required_fields: vec!["gtin".into(), "warnings".into(), "unknown".into()],
            min_images: 3,
            min_shelf_life_days: Some(720),
        };
        let c = measure_for(&sauce(), &maker(), 1, today(), Some(&chain));
        let gaps: Vec<_> = c.missing.iter().map(|m| (m.field, m.rule)).collect();
        assert_eq!(
            gaps,
            [
                ("gtin", Rule::Listing),
                ("warnings", Rule::Listing),
                ("images", Rule::Listing),
                ("shelfLifeDays", Rule::Listing)
            ]
        );
        assert!(!c.ready());
        assert_eq!(c.score, (10 * 100 / 14) as u8);
        assert!(measure_for(&sauce(), &maker(), 1, today(), None).ready());
    }

    #[test]
    fn an_expired_certificate_and_no_image_are_gaps_with_sentences() {
        let mut p = sauce();
        p.certificate_expires_on = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        let mut m = maker();
        m.address = String::new();
        let c = measure(&p, &m, 0, today());
        let fields: Vec<_> = c.missing.iter().map(|m| m.field).collect();
        assert_eq!(fields, ["producer.address", "certificate", "images"]);
        assert!(c.missing.iter().all(|m| !m.message.is_empty()));
    }
}
