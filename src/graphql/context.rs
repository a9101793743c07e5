//! What each request carries into the resolvers (database, caller, rate
//! budget, loaders), and the accessors resolvers use to reach it.

use std::sync::Arc;

use crate::db::Db;
use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};

use crate::auth::Viewer;
use crate::domain::locations::LocationDirectory;
use crate::error::{AppError, AppResult};
use crate::rate_limit::Budget;

/// A DataLoader as a request carries it (`loader::prepare` attaches them).
pub type Cached<T> = DataLoader<T, HashMapCache>;

/// What every request carries into the resolvers.
pub struct RequestData {
    pub db: Db,
    pub viewer: Option<Viewer>,
    /// The caller's rate budget (the query's cost is spent from it on
    /// admission, `graphql::admit`).
    pub budget: Option<Arc<Budget>>,
    pub locations: Arc<LocationDirectory>,
    pub max_page_size: u32,
    /// Signs tokens the operator issues (`issuePartnerToken`).
    pub auth: Arc<crate::auth::Authenticator>,
    /// Where origin pages are served (`Product.digitalLink`); none: no stamps.
    pub public_base: Option<Arc<str>>,
    /// Webhooks; none when this deployment has no `WEBHOOK_SECRET_KEY`.
    pub webhooks: Option<Arc<crate::webhooks::Webhooks>>,
}

pub fn request_data<'a>(ctx: &'a Context<'_>) -> AppResult<&'a RequestData> {
    ctx.data::<RequestData>()
        .map_err(|_| AppError::internal(std::io::Error::other("request data missing")))
}

pub fn db<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Db> {
    Ok(&request_data(ctx)?.db)
}

/// The caller, or UNAUTHENTICATED when the request carried no token.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Viewer> {
    request_data(ctx)?.viewer.as_ref().ok_or_else(|| {
        AppError::Unauthenticated("a bearer token is required: Authorization: Bearer <JWT>".into())
    })
}

pub fn loader<'a, T: Send + Sync + 'static>(ctx: &'a Context<'_>) -> AppResult<&'a Cached<T>> {
    ctx.data::<Cached<T>>()
        .map_err(|_| AppError::internal(std::io::Error::other("data loader missing")))
}

/// The webhooks, or an error saying the deployment has none configured.
pub fn webhooks<'a>(ctx: &'a Context<'_>) -> AppResult<&'a crate::webhooks::Webhooks> {
    request_data(ctx)?.webhooks.as_deref().ok_or_else(|| {
        AppError::Forbidden(
            "webhooks are not configured on this gateway (its operator sets WEBHOOK_SECRET_KEY)"
                .into(),
        )
    })
}
