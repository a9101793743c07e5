use async_graphql::{Context, Guard};

use crate::auth::Scope;

/// Refuses a field unless the caller holds `scope` among its effective
/// scopes: UNAUTHENTICATED without a token, FORBIDDEN without the scope.
pub struct ScopeGuard(pub Scope);

impl Guard for ScopeGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        super::context::viewer(ctx)?.require(self.0)?;
        Ok(())
    }
}
