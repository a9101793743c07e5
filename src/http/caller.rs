//! Who is calling: the bearer token checked once per request (HTTP) or per
//! socket (`connection_init` on `/graphql/ws`), and the request data that
//! the resolvers then read. Both transports go through these functions, so
//! a token accepted on one is accepted on the other, and nothing else.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use tokio::sync::OwnedSemaphorePermit;

use crate::auth::{self, Viewer};
use crate::config::Introspection;
use crate::error::AppError;
use crate::graphql::context::RequestData;
use crate::http::state::AppState;
use crate::rate_limit::Budget;

/// An authenticated partner and the rate budget its requests spend.
pub struct Caller {
    pub(crate) viewer: Viewer,
    pub(crate) budget: Arc<Budget>,
}

impl Caller {
    pub(crate) fn viewer(&self) -> &Viewer {
        &self.viewer
    }
}

/// Authenticates the request. No header means an anonymous caller (only
/// introspection works); a header that is present but bad is refused
/// outright with 401, before anything else runs. A partner over its request
/// rate is refused with 429 before any SQL (its record is cached).
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Caller>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        AppError::Unauthenticated("the Authorization header is not valid text".into())
    })?;
    let (caller, _) = authenticate_token(state, auth::bearer_token(value)?).await?;
    Ok(Some(caller))
}

/// The checks every bearer token passes, on HTTP and in a WebSocket's
/// `connection_init`: signature and claims, a known and active partner,
/// revocation, the effective scopes, and one request of its rate budget.
pub(crate) async fn authenticate_token(
    state: &AppState,
    token: &str,
) -> Result<(Caller, auth::Claims), AppError> {
    let claims = state.auth.verify(token)?;
    let partner = state
        .partners
        .get(&state.db, &claims.sub)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the token's partner is not known".into()))?;
    let budget = state.limiter.budget(&partner);
    let viewer = auth::viewer_for(partner, &claims)?;
    budget
        .take_request()
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    Ok((Caller { viewer, budget }, claims))
}

/// A request without a token can only introspect: it is refused unless
/// introspection is public, metered per client address, and held to its
/// own few in-flight slots, so it never crowds out partners.
pub(crate) fn admit_anonymous(
    state: &AppState,
    address: IpAddr,
) -> Result<OwnedSemaphorePermit, AppError> {
    if state.config.introspection() != Introspection::Public {
        return Err(AppError::Unauthenticated(
            "a bearer token is required: Authorization: Bearer <JWT>".into(),
        ));
    }
    state
        .anonymous
        .take(address)
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    state
        .anon_in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Overloaded)
}

/// What the resolvers of one request (or one subscription) see of the
/// gateway and of the caller.
pub(crate) fn request_data(state: &AppState, caller: Option<&Caller>) -> RequestData {
    RequestData {
        db: state.db.clone(),
        viewer: caller.map(|c| c.viewer.clone()),
        budget: caller.map(|c| c.budget.clone()),
        locations: state.locations.clone(),
        max_page_size: state.config.max_page_size,
        auth: state.auth.clone(),
        public_base: state.public_base.clone(),
        webhooks: state.webhooks.clone(),
    }
}
