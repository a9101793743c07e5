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

/// The cost of one `totalCount` (an unbounded COUNT with the filter),
/// added by the document measure (`measure`).
pub const COUNT_COST: usize = 25;

/// A document's text is charged one unit per this many bytes: parsing and
/// validating a large document costs in proportion to its size.
pub const BYTES_PER_COST: usize = 1024;

/// A list that is not paged (a producer's products, an order's lines) is
/// charged as if it held this many items.
pub const UNPAGED_LIST: usize = 10;

/// A report over a window of local days: a base, and `per_day` for each
/// day it spans (at least one, at most the longest window).
pub fn report(from: chrono::NaiveDate, to: chrono::NaiveDate, per_day: usize) -> usize {
    let days = (to - from)
        .num_days()
        .clamp(1, crate::domain::reports::MAX_DAYS) as usize;
    10 + days * per_day
}

/// What a sales report costs per day of its window.
pub const SALES_PER_DAY: usize = 2;

/// What a fulfilment report costs per day of its window.
pub const FULFILLMENT_PER_DAY: usize = 2;

/// The fields of one sales row (`key label orders units revenue`): what
/// the CSV export writes for every row, so it is charged like a GraphQL
/// report selecting all of them.
pub const SALES_ROW_FIELDS: usize = 5;

/// `lowStock` reads every level with sales in the last 28 days.
pub fn low_stock(child_complexity: usize) -> usize {
    200 + child_complexity * 20
}

/// A mutation is a write transaction of several statements.
pub const MUTATION: usize = 50;
/// Placing an order reads, plans and reserves every line: the costliest.
pub const PLACE_ORDER: usize = 200;
