//! Tokens the gateway signs itself (HS256): the operator issues a buyer's
//! token for a partner, with chosen scopes and lifetime. A token issued
//! never holds more than the partner's grants, nor more than the caller's
//! own effective scopes (so `partners:admin` alone cannot mint itself
//! `orders:write`), and is never the operator's: operator tokens come from
//! `ocop-gateway token` or the identity provider, not from the API.
//! Recorded in the partner's audit trail (scopes and expiry; never the
//! token).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::enums::{PartnerKind, PartnerStatus};
use entity::partner;

use crate::auth::{Authenticator, MintError, ScopeSet, Viewer};
use crate::db::{self, Db};
use crate::domain::partners;
use crate::error::{AppError, AppResult};

/// Shortest and longest lifetime of an issued token.
pub const MIN_MINUTES: i64 = 5;
pub const MAX_MINUTES: i64 = 30 * 24 * 60;

pub struct Issued {
    pub token: String,
    pub partner: partner::Model,
    pub scopes: ScopeSet,
    pub expires_at: DateTime<Utc>,
}

pub async fn issue(
    db: &Db,
    auth: &Authenticator,
    caller: &Viewer,
    partner_id: i64,
    scopes: &[String],
    minutes: i64,
) -> AppResult<Issued> {
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes) {
        return Err(AppError::bad_field(
            "input.expiresInMinutes",
            format!("a token lives {MIN_MINUTES} minutes to {MAX_MINUTES} minutes (30 days)"),
        ));
    }
    if scopes.is_empty() {
        return Err(AppError::bad_field(
            "input.scopes",
            "name at least one scope",
        ));
    }
    // Read outside the write: a suspension that lands after this still
    // refuses the token at its first use (`auth::viewer_for`).
    let partner = partners::find(db.conn(), partner_id).await?;
    if partner.kind == PartnerKind::Operator {
        return Err(AppError::Forbidden(
            "operator tokens are not issued through the API: use `ocop-gateway token` or your identity provider".into(),
        ));
    }
    if partner.status != PartnerStatus::Active {
        return Err(AppError::conflict(
            "the partner is suspended: reactivate it before issuing it a token",
        ));
    }
    let granted = ScopeSet::parse(&partner.allowed_scopes);
    let scopes = partners::parse_scopes(scopes, "input.scopes", |scope| {
        if !granted.contains(scope) {
            Some(format!(
                "{} is not granted `{scope}`: a token cannot hold more than the partner's grants",
                partner.code
            ))
        } else if !caller.scopes.contains(scope) {
            Some(format!(
                "your token does not hold `{scope}`: a token you issue cannot hold more than yours"
            ))
        } else {
            None
        }
    })?;
    // A token issued in the second of a revocation would be refused with
    // the tokens it revoked (`iat` has second precision).
    if partner
        .tokens_valid_after
        .is_some_and(|after| after.timestamp() >= Utc::now().timestamp())
    {
        tokio::time::sleep(Duration::from_millis(1_000)).await;
    }
    let ttl = Duration::from_secs(minutes as u64 * 60);
    let token = auth.mint(&partner.code, &scopes, ttl).map_err(|e| match e {
        MintError::NoSigningKey => AppError::Forbidden(
            "this gateway verifies tokens from an identity provider and signs none: issue the token there".into(),
        ),
        MintError::Sign(e) => AppError::internal(e),
    })?;
    let expires_at = Utc::now() + chrono::Duration::minutes(minutes);
    let (txn, slot) = db::begin_write(db).await?;
    partners::audit(
        &txn,
        partner.id,
        caller.partner_id(),
        "issue_token",
        format!(
            "scopes {}; expires {}",
            scopes.to_claim(),
            expires_at.to_rfc3339()
        ),
    )
    .await?;
    slot.commit(txn).await?;
    Ok(Issued {
        token,
        partner,
        scopes,
        expires_at,
    })
}
