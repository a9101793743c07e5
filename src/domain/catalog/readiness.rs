//! `completeness`'s rules once more, as one SQL condition, so `products(filter:
//! { ready })` pages through the database like every other filter instead
//! of measuring every product in Rust. The test `ready_filter_agrees_with_
//! completeness` (tests/api/catalog_write.rs) holds the two to the same
//! answer on both backends; change them together.

use chrono::NaiveDate;
use entity::enums::Category;
use entity::{producer, product, product_image};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr, SubQueryStatement};
use sea_orm::{ColumnTrait, Condition};

use super::completeness::{LISTABLE, Requirements};

/// Text present once blanks are trimmed (what `completeness::filled` says).
fn filled(column: product::Column) -> Condition {
    Condition::all()
        .add(column.is_not_null())
        .add(Expr::expr(Func::cust("TRIM").arg(Expr::col((product::Entity, column)))).ne(""))
}

fn field(name: &str) -> Condition {
    use product::Column as C;
    match name {
        "gtin" => Condition::all().add(C::Gtin.is_not_null()),
        "description" => filled(C::Description),
        "nameEn" => filled(C::NameEn),
        "netContent" => Condition::all().add(C::NetContentMilli.is_not_null()),
        "shelfLifeDays" => Condition::all().add(C::ShelfLifeDays.is_not_null()),
        "ingredients" => filled(C::Ingredients),
        "storage" => filled(C::Storage),
        "usage" => filled(C::UsageInstructions),
        "warnings" => filled(C::Warnings),
        "packageWeightGrams" => Condition::all().add(C::PackageWeightGrams.is_not_null()),
        _ => Condition::all(),
    }
}

/// How many images the product has, as a correlated subquery.
fn image_count() -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(SubQueryStatement::SelectStatement(
            Query::select()
                .expr(Expr::col((product_image::Entity, product_image::Column::Id)).count())
                .from(product_image::Entity)
                .and_where(
                    Expr::col((product_image::Entity, product_image::Column::ProductId))
                        .equals((product::Entity, product::Column::Id)),
                )
                .to_owned(),
        )),
    )
}

/// Producers whose name, address and origin the label can carry.
fn labelled_producers() -> sea_orm::sea_query::SelectStatement {
    let trimmed = |c: producer::Column| Expr::expr(Func::cust("TRIM").arg(Expr::col(c))).ne("");
    Query::select()
        .column(producer::Column::Id)
        .from(producer::Entity)
        .and_where(trimmed(producer::Column::Name))
        .and_where(trimmed(producer::Column::Address))
        .and_where(trimmed(producer::Column::Province))
        .and_where(trimmed(producer::Column::Commune))
        .to_owned()
}

/// Products `completeness::measure_for(.., today, chain)` calls ready.
pub fn ready(today: NaiveDate, chain: Option<&Requirements>) -> Condition {
    use product::Column as C;
    let food = [
        Category::Food,
        Category::Beverages,
        Category::HerbalProducts,
    ];
    let food_label = Condition::any().add(C::Category.is_not_in(food)).add(
        Condition::all()
            .add(C::ShelfLifeDays.is_not_null())
            .add(filled(C::Ingredients))
            .add(filled(C::Storage))
            .add(filled(C::UsageInstructions)),
    );
    let mut all = Condition::all()
        .add(filled(C::NameVi))
        .add(C::ProducerId.in_subquery(labelled_producers()))
        .add(C::NetContentMilli.is_not_null())
        .add(C::NetContentUnit.is_not_null())
        .add(food_label)
        .add(C::CertificateNumber.ne(""))
        .add(C::CertificateExpiresOn.gte(today))
        .add(Expr::expr(image_count()).gte(1));
    if let Some(chain) = chain {
        for name in &chain.required_fields {
            if LISTABLE.contains(&name.as_str()) {
                all = all.add(field(name));
            }
        }
        if chain.min_images > 1 {
            all = all.add(Expr::expr(image_count()).gte(chain.min_images as i64));
        }
        if let Some(days) = chain.min_shelf_life_days {
            all = all.add(C::ShelfLifeDays.gte(days));
        }
    }
    all
}
