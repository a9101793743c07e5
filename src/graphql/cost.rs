//! The cost of a query: async-graphql's complexity (connections multiply
//! their selection by the page size, see [`connection`]) plus what the
//! document measure adds (`totalCount`s). It must stay under
//! `MAX_QUERY_COMPLEXITY`, and is charged to the caller's query-cost bucket,
//! before any resolver runs: a partner sending costly queries is slowed by
//! what they cost, not just by how many there are.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::error::AppError;
use crate::graphql::context::RequestData;

/// What reading one page costs whatever its size (the page query itself).
pub const PAGE_COST: usize = 10;

/// The complexity of a connection field: the page query, plus its
/// selection once per item it may return.
pub fn connection(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(crate::domain::pagination::DEFAULT_PAGE_SIZE)
        .max(0) as usize;
    PAGE_COST.saturating_add(size.saturating_mul(child_complexity))
}

/// A mutation is a write transaction of several statements.
pub const MUTATION: usize = 50;
/// Placing an order reads, plans and reserves every line: the costliest.
pub const PLACE_ORDER: usize = 200;

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
        let mut result = next.run(ctx).await?;
        let data = ctx.data_opt::<RequestData>();
        result.complexity = result
            .complexity
            .saturating_add(data.map_or(0, |d| d.extra_cost));
        if let Some(max) = data.map(|d| d.max_complexity)
            && result.complexity > max
        {
            return Err(vec![
                AppError::QueryTooComplex(format!(
                    "the query costs {}; at most {max} is allowed (each totalCount costs {})",
                    result.complexity,
                    crate::graphql::measure::COUNT_COST
                ))
                .request_error(),
            ]);
        }
        if let Some(budget) = data.and_then(|d| d.budget.as_ref()) {
            budget
                .spend(result.complexity)
                .map_err(|retry_after_secs| {
                    vec![AppError::RateLimited { retry_after_secs }.request_error()]
                })?;
        }
        Ok(result)
    }
}
