use async_graphql::SimpleObject;

/// Relay page information.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// True when more items follow `endCursor`.
    pub has_next_page: bool,
    /// True when items precede `startCursor`.
    pub has_previous_page: bool,
    /// Cursor of the first edge of this page; pass as `before` to go back.
    pub start_cursor: Option<String>,
    /// Cursor of the last edge of this page; pass as `after` for the next page.
    pub end_cursor: Option<String>,
}
