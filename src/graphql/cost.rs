//! Charges each validated operation's complexity to the caller's query-cost
//! bucket, before any resolver runs: a partner sending costly queries is
//! slowed by what they cost, not just by how many there are.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ErrorExtensions, Pos, ServerError, ValidationResult};

use crate::error::AppError;
use crate::graphql::context::RequestData;

pub struct QueryCost;

impl ExtensionFactory for QueryCost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryCostExtension)
    }
}

struct QueryCostExtension;

#[async_trait::async_trait]
impl Extension for QueryCostExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let budget = ctx
            .data_opt::<RequestData>()
            .and_then(|data| data.budget.as_ref());
        if let Some(budget) = budget {
            budget
                .spend(result.complexity)
                .map_err(|retry_after_secs| {
                    vec![
                        AppError::RateLimited { retry_after_secs }
                            .extend()
                            .into_server_error(Pos::default()),
                    ]
                })?;
        }
        Ok(result)
    }
}
