//! The cost of a query: async-graphql's complexity (connections multiply
//! their selection by the page size, see [`connection`]) plus what the
//! document measure adds (`totalCount`s). It must stay under
//! `MAX_QUERY_COMPLEXITY`, and is charged to the caller's query-cost bucket,
//! before any resolver runs (`admit`): a partner sending costly queries is slowed by
//! what they cost, not just by how many there are.
//!
//! A cost reads only arguments of the types in [`ARGUMENT_TYPES`]: costs
//! are cached by document and the values of its variables of those types
//! (`documents::cost_key`).

/// The argument types a complexity function may read: page sizes
/// (`first`/`last`) and report ranges (`from`/`to`). A cost function that
/// reads another type must add it here.
pub const ARGUMENT_TYPES: [&str; 2] = ["Int", "Date"];

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
