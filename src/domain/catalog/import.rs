//! The hub's catalogue sheet: one product a row, a row whose `sku` exists
//! updates that product, any other creates one. Every row goes through the
//! very functions of `createProduct`, `updateProduct` and
//! `recordCertificate` (`write::prepare`/`insert`/`update_in`,
//! `certificates::record_in`), each in a savepoint of one transaction, so
//! a bad row is undone alone and the sheet is written all at once, in part
//! (`REJECT_FAILED_ROWS`) or, for a dry run, not at all.

use std::collections::HashMap;

use entity::enums::{Category, NetContentUnit};
use entity::{producer, product};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Iterable,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;

use super::certificates::{self, NewCertificate};
use super::write::{self, NewProduct, ProductFields, Writer};
use crate::auth::Viewer;
use crate::db::{self, Db};
use crate::domain::clock;
use crate::domain::sheet::{self, ErrorPolicy, Row, RowError, Sheet};
use crate::error::{AppError, AppResult};
use crate::ids::{self, Kind};

/// The columns a catalogue sheet may have: `createProduct`'s field names,
/// the producer by its code, and the certificate.
pub const COLUMNS: &[&str] = &[
    "sku",
    "producerCode",
    "nameVi",
    "nameEn",
    "category",
    "unit",
    "packSize",
    "wholesalePrice",
    "minOrderQuantity",
    "gtin",
    "description",
    "traceCode",
    "netContent.value",
    "netContent.unit",
    "shelfLifeDays",
    "ingredients",
    "storage",
    "usage",
    "warnings",
    "packageWeightGrams",
    "certificateNumber",
    "certificateIssuedOn",
    "certificateExpiresOn",
    "stars",
];

/// The columns an export adds, read-only: an import of an exported sheet
/// ignores them.
pub const READ_ONLY_COLUMNS: &[&str] = &[
    "id",
    "status",
    "version",
    "updatedAt",
    "producerName",
    "province",
    "certificateStatus",
];

const CERTIFICATE: [&str; 4] = [
    "certificateNumber",
    "certificateIssuedOn",
    "certificateExpiresOn",
    "stars",
];

/// The template's example row, which imports as it is once its SKU is
/// the user's own: a producer this catalogue has (the oldest), and a
/// certificate in force today.
pub async fn example(db: &DatabaseConnection) -> AppResult<Vec<(&'static str, String)>> {
    let producer = producer::Entity::find()
        .order_by_asc(producer::Column::Id)
        .one(db)
        .await?
        .map_or_else(|| "HTX-MAT-ONG-BA-VI".to_owned(), |p| p.code);
    let issued = clock::business_today() - chrono::Days::new(30);
    let expires = issued + chrono::Months::new(24);
    Ok([
        ("sku", "HN-MAT-ONG-500"),
        ("nameVi", "Mật ong hoa nhãn Ba Vì"),
        ("nameEn", "Ba Vi longan honey"),
        ("category", "FOOD"),
        ("unit", "chai"),
        ("packSize", "12"),
        ("wholesalePrice", "120000"),
        ("minOrderQuantity", "24"),
        ("description", "Mật ong nguyên chất, thu hoạch vụ xuân"),
        ("netContent.value", "0.5"),
        ("netContent.unit", "KG"),
        ("shelfLifeDays", "730"),
        ("ingredients", "Mật ong hoa nhãn 100%"),
        ("storage", "Nơi khô ráo, tránh ánh nắng"),
        ("usage", "Pha với nước ấm"),
        ("warnings", "Không dùng cho trẻ dưới 1 tuổi"),
        ("packageWeightGrams", "650"),
        ("certificateNumber", "HN-2026-0001"),
        ("stars", "4"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .chain([
        ("producerCode", producer),
        ("certificateIssuedOn", issued.to_string()),
        ("certificateExpiresOn", expires.to_string()),
    ])
    .collect())
}

/// How to run an import.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub policy: ErrorPolicy,
    pub dry_run: bool,
}

/// What became of one row.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowResult {
    pub row: usize,
    pub sku: String,
    /// `created`, `updated`, `unchanged` or `failed`.
    pub action: &'static str,
    /// The product's id, for rows that passed (after a dry run, only of
    /// products that exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// The answer to an import. `created`, `updated` and `unchanged` count
/// the rows that passed; `committed` says whether they were written.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub committed: bool,
    pub dry_run: bool,
    pub errors: Vec<RowError>,
    pub results: Vec<RowResult>,
}

/// One row, read: the fields as the mutations take them.
struct Parsed {
    sku: String,
    producer_code: Option<String>,
    fields: ProductFields,
    certificate: Option<NewCertificate>,
}

/// Imports a catalogue sheet for `viewer` (the operator, or a producer
/// for its own products).
pub async fn import(db: &Db, viewer: &Viewer, bytes: &[u8], options: Options) -> AppResult<Report> {
    let writer = Writer::of(viewer)?;
    let sheet = Sheet::read(bytes, COLUMNS, READ_ONLY_COLUMNS)?;
    if !sheet.has("sku") {
        return Err(AppError::bad_field(
            "sku",
            "the sheet needs a `sku` column: it says which product each row is",
        ));
    }
    let mut report = Report {
        rows: sheet.rows.len(),
        dry_run: options.dry_run,
        ..Report::default()
    };
    let mut parsed = Vec::with_capacity(sheet.rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for row in &sheet.rows {
        match parse(&sheet, row) {
            Ok(p) => match seen.insert(p.sku.clone(), row.number) {
                Some(first) => fail(
                    &mut report,
                    row.number,
                    p.sku,
                    vec![err(
                        row.number,
                        "sku",
                        format!("this SKU is already in row {first}"),
                    )],
                ),
                None => parsed.push((row.number, p)),
            },
            Err((sku, errors)) => fail(&mut report, row.number, sku, errors),
        }
    }
    let (txn, slot) = db::begin_write(db).await?;
    let producers = producers_by_code(&txn, &parsed).await?;
    let existing = products_by_sku(&txn, &parsed).await?;
    for (number, p) in parsed {
        let savepoint = txn.begin().await?;
        let current = existing.get(&p.sku);
        match write_row(&savepoint, viewer, writer, &producers, current, &p).await {
            Ok((action, id)) => {
                savepoint.commit().await?;
                match action {
                    "created" => report.created += 1,
                    "updated" => report.updated += 1,
                    _ => report.unchanged += 1,
                }
                report.results.push(RowResult {
                    row: number,
                    sku: p.sku,
                    action,
                    id: id.map(|id| ids::opaque(Kind::Product, id)),
                });
            }
            Err(e) => {
                savepoint.rollback().await?;
                let error = row_error(number, e)?;
                fail(&mut report, number, p.sku, vec![error]);
            }
        }
    }
    report.results.sort_by_key(|r| r.row);
    report.errors.sort_by_key(|e| e.row);
    let keep = !options.dry_run
        && (report.failed == 0 || options.policy == ErrorPolicy::RejectFailedRows)
        && report.created + report.updated > 0;
    if keep {
        slot.commit(txn).await?;
        report.committed = true;
    } else {
        txn.rollback().await?;
        report.committed = !options.dry_run && report.failed == 0;
    }
    if options.dry_run {
        // Ids of products that a dry run only pretended to create would
        // name nothing.
        for r in report.results.iter_mut().filter(|r| r.action == "created") {
            r.id = None;
        }
    }
    Ok(report)
}

fn err(row: usize, field: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_owned(),
        message: message.into(),
    }
}

fn fail(report: &mut Report, row: usize, sku: String, errors: Vec<RowError>) {
    report.failed += 1;
    report.errors.extend(errors);
    report.results.push(RowResult {
        row,
        sku,
        action: "failed",
        id: None,
    });
}

/// A domain refusal as the row's error, on the sheet's column; anything
/// else (the database failing) ends the import.
fn row_error(row: usize, e: AppError) -> AppResult<RowError> {
    let (field, message) = match e {
        AppError::BadUserInput { field, message, .. } => (field.unwrap_or_default(), message),
        AppError::NotFound(m) | AppError::Forbidden(m) | AppError::Conflict(m) => {
            (String::new(), m)
        }
        AppError::StaleVersion { .. } => (
            "sku".to_owned(),
            "the product changed while the sheet was imported; import again".to_owned(),
        ),
        other => return Err(other),
    };
    let field = match field.strip_prefix("input.").unwrap_or(&field) {
        "number" => "certificateNumber",
        "issuedOn" => "certificateIssuedOn",
        "expiresOn" => "certificateExpiresOn",
        "producerId" => "producerCode",
        other => other,
    }
    .to_owned();
    Ok(RowError {
        row,
        field,
        message,
    })
}

/// Reads one row's cells into the mutations' input; every cell that does
/// not read is reported, not only the first.
fn parse(sheet: &Sheet, row: &Row) -> Result<Parsed, (String, Vec<RowError>)> {
    let n = row.number;
    let cell = |column: &str| row.get(sheet.index(column));
    let text = |column: &str| cell(column).map(str::to_owned);
    let mut errors = Vec::new();
    let sku = text("sku").unwrap_or_default();
    if sku.is_empty() {
        errors.push(err(n, "sku", "every row needs its SKU"));
    }
    if row.stray {
        errors.push(err(n, "", "this row has cells beyond the header's columns"));
    }
    let mut whole = |column: &str| -> Option<i64> {
        let v = cell(column)?;
        sheet::whole_number(v)
            .map_err(|m| errors.push(err(n, column, m)))
            .ok()
    };
    let pack_size = whole("packSize");
    let wholesale_price = whole("wholesalePrice");
    let min_order_quantity = whole("minOrderQuantity");
    let shelf_life_days = whole("shelfLifeDays");
    let package_weight_grams = whole("packageWeightGrams");
    let stars = whole("stars");
    let category = cell("category").and_then(|v| {
        named::<Category>(v)
            .ok_or_else(|| errors.push(err(n, "category", one_of::<Category>())))
            .ok()
    });
    let net_content = match (cell("netContent.value"), cell("netContent.unit")) {
        (None, None) => None,
        (Some(value), Some(unit)) => {
            let value = sheet::decimal(value, sheet.decimal_comma)
                .map_err(|m| errors.push(err(n, "netContent.value", m)))
                .ok();
            let unit = named::<NetContentUnit>(unit);
            if unit.is_none() {
                errors.push(err(n, "netContent.unit", one_of::<NetContentUnit>()));
            }
            value.zip(unit)
        }
        (Some(_), None) => {
            errors.push(err(n, "netContent.unit", "a net content needs its unit"));
            None
        }
        (None, Some(_)) => {
            errors.push(err(n, "netContent.value", "a net content needs its amount"));
            None
        }
    };
    let given: Vec<&str> = CERTIFICATE
        .into_iter()
        .filter(|c| cell(c).is_some())
        .collect();
    let certificate = if given.is_empty() {
        None
    } else if given.len() < CERTIFICATE.len() {
        let missing = CERTIFICATE.into_iter().find(|c| !given.contains(c));
        errors.push(err(
            n,
            missing.unwrap_or("certificateNumber"),
            "a certificate needs its number, issue date, expiry date and stars together",
        ));
        None
    } else {
        let mut date = |column: &str| {
            sheet::date(cell(column).unwrap_or_default())
                .map_err(|m| errors.push(err(n, column, m)))
                .ok()
        };
        let issued_on = date("certificateIssuedOn");
        let expires_on = date("certificateExpiresOn");
        match (issued_on, expires_on, stars) {
            (Some(issued_on), Some(expires_on), Some(stars)) => Some(NewCertificate {
                number: text("certificateNumber").unwrap_or_default(),
                // Out of range reads as 0, which the certificate's own rule
                // refuses with its message.
                stars: i16::try_from(stars).unwrap_or(0),
                issued_on,
                expires_on,
            }),
            _ => None,
        }
    };
    if !errors.is_empty() {
        return Err((sku, errors));
    }
    Ok(Parsed {
        producer_code: text("producerCode"),
        fields: ProductFields {
            sku: Some(sku.clone()),
            gtin: text("gtin"),
            name_vi: text("nameVi"),
            name_en: text("nameEn"),
            description: text("description"),
            category,
            unit: text("unit"),
            pack_size,
            wholesale_price,
            min_order_quantity,
            trace_code: text("traceCode"),
            net_content,
            shelf_life_days,
            ingredients: text("ingredients"),
            storage: text("storage"),
            usage: text("usage"),
            warnings: text("warnings"),
            package_weight_grams,
        },
        sku,
        certificate,
    })
}

/// An enum value by its GraphQL name (`FOOD`, `KG`), in any case.
fn named<E: ActiveEnum<Value = String> + Iterable>(cell: &str) -> Option<E> {
    E::iter().find(|e| e.to_value().eq_ignore_ascii_case(cell.trim()))
}

fn one_of<E: ActiveEnum<Value = String> + Iterable>() -> String {
    let names: Vec<String> = E::iter().map(|e| e.to_value().to_uppercase()).collect();
    format!("one of {}", names.join(", "))
}

async fn producers_by_code(
    txn: &DatabaseTransaction,
    rows: &[(usize, Parsed)],
) -> AppResult<HashMap<String, i64>> {
    let mut codes: Vec<&str> = rows
        .iter()
        .filter_map(|(_, p)| p.producer_code.as_deref())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        for p in producer::Entity::find()
            .filter(producer::Column::Code.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            out.insert(p.code, p.id);
        }
    }
    Ok(out)
}

async fn products_by_sku(
    txn: &DatabaseTransaction,
    rows: &[(usize, Parsed)],
) -> AppResult<HashMap<String, product::Model>> {
    let skus: Vec<&str> = rows.iter().map(|(_, p)| p.sku.as_str()).collect();
    let mut out = HashMap::new();
    for chunk in skus.chunks(500) {
        for p in product::Entity::find()
            .filter(product::Column::Sku.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            out.insert(p.sku.clone(), p);
        }
    }
    Ok(out)
}

/// Writes one row in its savepoint: what it did and the product's id.
async fn write_row(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    writer: Writer,
    producers: &HashMap<String, i64>,
    current: Option<&product::Model>,
    row: &Parsed,
) -> AppResult<(&'static str, Option<i64>)> {
    let producer_id = match (&row.producer_code, writer) {
        (Some(code), _) => Some(*producers.get(code).ok_or_else(|| {
            AppError::bad_field("producerCode", format!("no producer has the code `{code}`"))
        })?),
        (None, Writer::Producer(own)) => Some(own),
        (None, Writer::Operator) => None,
    };
    let (action, product) = match current {
        Some(current) => {
            if !writer.may_write(current.producer_id) {
                return Err(AppError::bad_field(
                    "sku",
                    "this SKU is another producer's product: a producer imports only its own",
                ));
            }
            if producer_id.is_some_and(|p| p != current.producer_id) {
                return Err(AppError::bad_field(
                    "producerCode",
                    "this SKU is another producer's product; an import does not move products between producers",
                ));
            }
            match write::update_in(txn, viewer, current, &row.fields).await? {
                Some(saved) => ("updated", saved),
                None => ("unchanged", current.clone()),
            }
        }
        None => {
            let producer_id = producer_id.ok_or_else(|| {
                AppError::bad_field("producerCode", "required to create a product")
            })?;
            let input = NewProduct {
                producer_id,
                fields: row.fields.clone(),
            };
            let prepared = write::prepare(writer, &input).map_err(|e| match e {
                AppError::NotFound(_) => {
                    AppError::bad_field("producerCode", "a producer imports only its own products")
                }
                other => other,
            })?;
            ("created", write::insert(txn, viewer, prepared).await?)
        }
    };
    let action = match &row.certificate {
        Some(c) if !holds(&product, c) => {
            let number = certificates::validate(c, clock::business_today())?;
            certificates::record_in(txn, viewer, writer, product.id, c, number).await?;
            if action == "unchanged" {
                "updated"
            } else {
                action
            }
        }
        _ => action,
    };
    Ok((action, Some(product.id)))
}

/// Whether `p` already carries this certificate (an export imported back
/// records nothing again).
fn holds(p: &product::Model, c: &NewCertificate) -> bool {
    p.certificate_number == c.number.trim()
        && p.stars == c.stars
        && p.certificate_issued_on == c.issued_on
        && p.certificate_expires_on == c.expires_on
}
