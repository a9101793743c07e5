//! Partners, their ship-to stores, who may see which, and their
//! administration by the operator. Every change to a partner is recorded
//! in its audit trail (who, when, what) in the same transaction.

use std::collections::HashMap;

use entity::enums::{PartnerKind, PartnerStatus};
use entity::{location, partner, partner_audit, producer, store};
use sea_orm::ActiveValue::NotSet;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::auth::{Scope, ScopeSet, Viewer};
use crate::db::changes::{self, Key, Table};
use crate::db::{self, Db};
use crate::domain::pagination::{Page, PageSpec};
use crate::domain::{clock, gtin, text};
use crate::error::{AppError, AppResult};

/// A partner's stores are seen by the partner itself and by the operator;
/// to anyone else the list is empty.
pub fn may_see_stores_of(viewer: &Viewer, partner_id: i64) -> bool {
    viewer.partner_id() == partner_id || viewer.is_operator()
}

/// A partner's record is read by the partner itself, and by whoever
/// administers partners (`partners:admin`); to anyone else it is FORBIDDEN.
pub fn may_read_partner(viewer: &Viewer, partner_id: i64) -> AppResult<()> {
    if viewer.partner_id() == partner_id {
        Ok(())
    } else {
        viewer.require(Scope::PartnersAdmin)
    }
}

/// The stores of each of `partner_ids` that `viewer` may see, ordered by
/// code, in one statement for the whole set.
pub async fn visible_stores(
    db: &DatabaseConnection,
    viewer: &Viewer,
    partner_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<store::Model>>> {
    let visible: Vec<i64> = partner_ids
        .iter()
        .copied()
        .filter(|id| may_see_stores_of(viewer, *id))
        .collect();
    let mut out: HashMap<i64, Vec<store::Model>> =
        partner_ids.iter().map(|id| (*id, Vec::new())).collect();
    if visible.is_empty() {
        return Ok(out);
    }
    for s in store::Entity::find()
        .filter(store::Column::PartnerId.is_in(visible))
        .order_by_asc(store::Column::PartnerId)
        .order_by_asc(store::Column::Code)
        .all(db)
        .await?
    {
        out.entry(s.partner_id).or_default().push(s);
    }
    Ok(out)
}

pub async fn locations(db: &DatabaseConnection) -> AppResult<Vec<location::Model>> {
    Ok(location::Entity::find()
        .order_by_asc(location::Column::Code)
        .all(db)
        .await?)
}

/// The partner, or NOT_FOUND.
/// The open transaction writes this partner's row (and audit trail):
/// answers for other partners stay kept.
pub(crate) fn changing_partner(partner_id: i64) {
    changes::changing(&[Table::PARTNER], [Key::Partner(partner_id)]);
}

pub async fn find(db: &impl ConnectionTrait, partner_id: i64) -> AppResult<partner::Model> {
    partner::Entity::find_by_id(partner_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("partner"))
}

/// Records a change to a partner.
pub async fn audit(
    db: &impl ConnectionTrait,
    partner_id: i64,
    actor_partner_id: i64,
    action: &str,
    detail: String,
) -> AppResult<()> {
    partner_audit::Entity::insert(partner_audit::ActiveModel {
        id: NotSet,
        partner_id: Set(partner_id),
        actor_partner_id: Set(actor_partner_id),
        action: Set(action.to_owned()),
        detail: Set(detail),
        created_at: Set(clock::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A partner's grants: the scopes its tokens may ever carry. The
/// operator's own scopes are not for chains or producers to hold; a chain
/// does not write the catalogue; a producer reads and writes its catalogue
/// and sees stock, nothing else.
fn parse_grants(grants: &[String], kind: PartnerKind) -> AppResult<String> {
    let set = parse_scopes(grants, "input.grants", |scope| match kind {
        PartnerKind::Producer => (!matches!(
            scope,
            Scope::CatalogRead | Scope::CatalogWrite | Scope::InventoryRead
        ))
        .then(|| {
            format!(
                "a producer holds catalog:read, catalog:write and inventory:read, not `{scope}`"
            )
        }),
        _ => match scope {
            Scope::InventoryWrite | Scope::FulfillmentWrite | Scope::PartnersAdmin => Some(
                format!("`{scope}` is the operator's; a retail chain cannot hold it"),
            ),
            Scope::CatalogWrite => Some(
                "`catalog:write` is for producers and the operator; a retail chain cannot hold it"
                    .into(),
            ),
            _ => None,
        },
    })?;
    // Deduplicated and in a fixed order, as tokens' scopes are stored.
    Ok(set.to_claim())
}

/// A list of scope names from a client, each checked: BAD_USER_INPUT on
/// `{field}.{i}` for a name that is not a scope, or that `refuse` turns
/// down (with its reason).
pub(crate) fn parse_scopes(
    names: &[String],
    field: &str,
    refuse: impl Fn(Scope) -> Option<String>,
) -> AppResult<ScopeSet> {
    for (i, name) in names.iter().enumerate() {
        let scope = Scope::parse(name.trim()).ok_or_else(|| {
            AppError::bad_field(format!("{field}.{i}"), format!("`{name}` is not a scope"))
        })?;
        if let Some(reason) = refuse(scope) {
            return Err(AppError::bad_field(format!("{field}.{i}"), reason));
        }
    }
    Ok(ScopeSet::parse(&names.join(" ")))
}

fn check_name(name: &str, field: &str) -> AppResult<String> {
    text::printable(
        name,
        1,
        200,
        field,
        "a name is 1 to 200 printable characters",
    )
}

fn check_code(code: &str, field: &str) -> AppResult<String> {
    let code = code.trim();
    let plain = code
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(2..=40).contains(&code.len()) || !plain || code.starts_with('-') {
        return Err(AppError::bad_field(
            field,
            "a partner code is 2 to 40 of a-z, 0-9 and `-` (it becomes the tokens' `sub`)",
        ));
    }
    Ok(code.to_owned())
}

fn unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub struct NewPartner {
    pub code: String,
    pub name: String,
    pub grants: Vec<String>,
    /// RETAIL_CHAIN when None; OPERATOR cannot be created.
    pub kind: Option<PartnerKind>,
    /// Required for, and only for, a PRODUCER.
    pub producer_id: Option<i64>,
}

/// Onboards a retail chain. It can call as soon as the operator issues it a
/// token (or its identity provider does, with `sub` = its code).
pub async fn create_partner(db: &Db, actor: i64, input: NewPartner) -> AppResult<partner::Model> {
    let code = check_code(&input.code, "input.code")?;
    let name = check_name(&input.name, "input.name")?;
    let kind = input.kind.unwrap_or(PartnerKind::RetailChain);
    if kind == PartnerKind::Operator {
        return Err(AppError::bad_field(
            "input.kind",
            "there is one operator; create a RETAILER or a PRODUCER",
        ));
    }
    match (kind, input.producer_id) {
        (PartnerKind::Producer, None) => {
            return Err(AppError::bad_field(
                "input.producerId",
                "a PRODUCER partner names the producer it writes for",
            ));
        }
        (PartnerKind::RetailChain, Some(_)) => {
            return Err(AppError::bad_field(
                "input.producerId",
                "only a PRODUCER partner is tied to a producer",
            ));
        }
        _ => {}
    }
    let grants = parse_grants(&input.grants, kind)?;
    let (txn, slot) = db::begin_write(db).await?;
    if let Some(p) = input.producer_id
        && producer::Entity::find_by_id(p).one(&txn).await?.is_none()
    {
        return Err(AppError::not_found("producer"));
    }
    let created = partner::ActiveModel {
        id: NotSet,
        code: Set(code.clone()),
        name: Set(name),
        kind: Set(kind),
        status: Set(PartnerStatus::Active),
        allowed_scopes: Set(grants.clone()),
        rate_limit_rps: Set(None),
        query_cost_per_sec: Set(None),
        created_at: Set(clock::now()),
        tokens_valid_after: Set(None),
        producer_id: Set(input.producer_id),
        listing_required_fields: Set(None),
        listing_min_images: Set(None),
        listing_min_shelf_life_days: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            AppError::conflict(format!("a partner with code `{code}` exists"))
        } else {
            e.into()
        }
    })?;
    audit(
        &txn,
        created.id,
        actor,
        "create",
        format!("code {code}, grants [{grants}]"),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(created)
}

/// Changes to a partner's name, grants or rate limits (None: unchanged).
#[derive(Default)]
pub struct PartnerChanges {
    pub name: Option<String>,
    pub grants: Option<Vec<String>>,
    /// `Some(None)` returns to the gateway's default.
    pub rate_limit_rps: Option<Option<i32>>,
    pub query_cost_per_sec: Option<Option<i32>>,
}

pub async fn update_partner(
    db: &Db,
    actor: i64,
    partner_id: i64,
    changes: PartnerChanges,
) -> AppResult<partner::Model> {
    let (txn, slot) = db::begin_write(db).await?;
    changing_partner(partner_id);
    let current = find(&txn, partner_id).await?;
    let mut row: partner::ActiveModel = current.clone().into();
    let mut said = Vec::new();
    if let Some(name) = &changes.name {
        let name = check_name(name, "input.name")?;
        said.push(format!("name {name}"));
        row.name = Set(name);
    }
    if let Some(grants) = &changes.grants {
        if current.kind == PartnerKind::Operator {
            return Err(AppError::bad_field(
                "input.grants",
                "the operator's grants are fixed",
            ));
        }
        let grants = parse_grants(grants, current.kind)?;
        said.push(format!("grants [{grants}]"));
        row.allowed_scopes = Set(grants);
    }
    let positive = |v: Option<i32>, field: &str| match v {
        Some(n) if n <= 0 => Err(AppError::bad_field(
            field,
            "a rate is positive (null: the default)",
        )),
        v => Ok(v),
    };
    if let Some(rps) = changes.rate_limit_rps {
        let rps = positive(rps, "input.rateLimitRps")?;
        said.push(format!("rate limit {rps:?}/s"));
        row.rate_limit_rps = Set(rps);
    }
    if let Some(cost) = changes.query_cost_per_sec {
        let cost = positive(cost, "input.queryCostPerSec")?;
        said.push(format!("query cost {cost:?}/s"));
        row.query_cost_per_sec = Set(cost);
    }
    if said.is_empty() {
        return Ok(current);
    }
    let updated = row.update(&txn).await?;
    audit(&txn, partner_id, actor, "update", said.join(", ")).await?;
    slot.commit(txn).await?;
    db.partner_access_changed(partner_id);
    Ok(updated)
}

/// Suspends (refused on every replica once its cached record expires,
/// within `PARTNER_CACHE_TTL_MS`, at most 5 s) or reactivates a partner.
pub async fn set_status(
    db: &Db,
    actor: i64,
    partner_id: i64,
    status: PartnerStatus,
    reason: Option<&str>,
) -> AppResult<partner::Model> {
    let reason = text::reason(reason, "reason", status == PartnerStatus::Suspended)?;
    let (txn, slot) = db::begin_write(db).await?;
    changing_partner(partner_id);
    let current = find(&txn, partner_id).await?;
    if current.kind == PartnerKind::Operator {
        return Err(AppError::conflict("the operator cannot be suspended"));
    }
    if current.status == status {
        return Ok(current);
    }
    let mut row: partner::ActiveModel = current.into();
    row.status = Set(status);
    let updated = row.update(&txn).await?;
    let action = match status {
        PartnerStatus::Suspended => "suspend",
        PartnerStatus::Active => "reactivate",
    };
    audit(&txn, partner_id, actor, action, reason.unwrap_or_default()).await?;
    slot.commit(txn).await?;
    db.partner_access_changed(partner_id);
    Ok(updated)
}

/// Refuses every token issued to the partner up to now (by `iat`; a token
/// issued in this same second is refused too). New tokens work.
pub async fn revoke_tokens(db: &Db, actor: i64, partner_id: i64) -> AppResult<partner::Model> {
    let (txn, slot) = db::begin_write(db).await?;
    changing_partner(partner_id);
    let current = find(&txn, partner_id).await?;
    let now = clock::now();
    partner::Entity::update_many()
        .col_expr(partner::Column::TokensValidAfter, Expr::value(now))
        .filter(partner::Column::Id.eq(partner_id))
        .exec(&txn)
        .await?;
    audit(
        &txn,
        current.id,
        actor,
        "revoke_tokens",
        format!("tokens issued up to {now}"),
    )
    .await?;
    let updated = find(&txn, partner_id).await?;
    slot.commit(txn).await?;
    db.partner_access_changed(partner_id);
    Ok(updated)
}

pub struct NewStore {
    pub partner_id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub province: String,
    pub gln: Option<String>,
}

/// Adds a ship-to store to a partner. A GS1 GLN, when given, must have a
/// valid check digit.
pub async fn add_store(db: &Db, actor: i64, input: NewStore) -> AppResult<store::Model> {
    let code = text::printable(
        &input.code,
        1,
        40,
        "input.code",
        "a store code is 1 to 40 characters",
    )?;
    let name = check_name(&input.name, "input.name")?;
    let address = text::printable(
        &input.address,
        0,
        300,
        "input.address",
        "an address is at most 300 characters",
    )?;
    if let Some(gln) = &input.gln
        && !(gln.len() == 13 && gtin::is_valid(gln))
    {
        return Err(AppError::bad_field(
            "input.gln",
            "a GLN is 13 digits with a valid GS1 check digit",
        ));
    }
    let (txn, slot) = db::begin_write(db).await?;
    let partner = find(&txn, input.partner_id).await?;
    let taken = store::Entity::find()
        .filter(store::Column::PartnerId.eq(partner.id))
        .filter(store::Column::Code.eq(code.as_str()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(AppError::conflict(format!(
            "store `{code}` exists for this partner"
        )));
    }
    let created = store::ActiveModel {
        id: NotSet,
        partner_id: Set(partner.id),
        code: Set(code.clone()),
        name: Set(name),
        address: Set(address),
        province: Set(input.province.trim().to_owned()),
        created_at: Set(clock::now()),
    }
    .insert(&txn)
    .await?;
    let gln = input.gln.map(|g| format!(", GLN {g}")).unwrap_or_default();
    audit(
        &txn,
        partner.id,
        actor,
        "add_store",
        format!("store {code}{gln}"),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(created)
}

/// Every partner, by id.
pub async fn partner_page(
    db: &DatabaseConnection,
    spec: &PageSpec,
) -> AppResult<Page<partner::Model>> {
    let (limit, cursor, _, backward) = spec.plan();
    let mut query = partner::Entity::find();
    if let Some(c) = cursor {
        query = query.filter(if backward {
            partner::Column::Id.lt(c.id)
        } else {
            partner::Column::Id.gt(c.id)
        });
    }
    let items = query
        .order_by(
            partner::Column::Id,
            if backward {
                sea_orm::Order::Desc
            } else {
                sea_orm::Order::Asc
            },
        )
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(Page::from_rows(items, spec))
}

pub async fn partner_count(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(partner::Entity::find().count(db).await?)
}

/// A partner's audit trail, newest first (at most 200 entries).
pub async fn audit_trail(
    db: &DatabaseConnection,
    partner_id: i64,
) -> AppResult<Vec<partner_audit::Model>> {
    Ok(partner_audit::Entity::find()
        .filter(partner_audit::Column::PartnerId.eq(partner_id))
        .order_by_desc(partner_audit::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}
