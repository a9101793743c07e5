//! Keyset pagination shared by every connection: opaque cursors that carry
//! the sort key's value and the row id, so a page walk visits every row
//! exactly once however the data around it changes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::{AppError, AppResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// A decoded cursor: the name of the ordering it belongs to, the sort key's
/// value at that row, and the row id (the tiebreaker).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub ordering: String,
    pub value: Value,
    pub id: i64,
}

impl Cursor {
    /// The cursor of a connection ordered by id alone.
    pub fn by_id(ordering: &str, id: i64) -> Cursor {
        Cursor {
            ordering: ordering.into(),
            value: Value::Null,
            id,
        }
    }

    pub fn encode(&self) -> String {
        let raw = serde_json::json!([self.ordering, self.value, self.id]).to_string();
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes `text`, which must come from the same ordering.
    pub fn decode(text: &str, ordering: &str, field: &str) -> AppResult<Cursor> {
        let invalid = || {
            AppError::bad_field(
                field,
                format!("`{field}` is not a cursor from this connection"),
            )
        };
        if text.len() > 1024 {
            return Err(invalid());
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let parsed: (String, Value, i64) = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if parsed.0 != ordering {
            return Err(AppError::bad_field(
                field,
                format!(
                    "`{field}` was issued for another ordering; restart the walk without a cursor"
                ),
            ));
        }
        Ok(Cursor {
            ordering: parsed.0,
            value: parsed.1,
            id: parsed.2,
        })
    }
}

/// Which way a page is read, after validation of first/after/last/before.
#[derive(Debug, Clone, PartialEq)]
pub enum PageSpec {
    Forward { first: u64, after: Option<Cursor> },
    Backward { last: u64, before: Option<Cursor> },
}

/// Relay arguments before validation.
#[derive(Debug, Default, Clone)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    pub fn resolve(&self, ordering: &str, max: u32) -> AppResult<PageSpec> {
        let size = |n: i32, field: &str| -> AppResult<u64> {
            if n < 0 || n as u32 > max {
                Err(AppError::bad_field(
                    field,
                    format!("`{field}` must be between 0 and {max}"),
                ))
            } else {
                Ok(n as u64)
            }
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(AppError::bad_input(
                "pass either `first` or `last`, not both",
            )),
            (_, Some(last)) => {
                if self.after.is_some() {
                    return Err(AppError::bad_field(
                        "after",
                        "`after` goes with `first`; use `before` with `last`",
                    ));
                }
                Ok(PageSpec::Backward {
                    last: size(last, "last")?,
                    before: self
                        .before
                        .as_deref()
                        .map(|c| Cursor::decode(c, ordering, "before"))
                        .transpose()?,
                })
            }
            (first, None) => {
                if self.before.is_some() {
                    return Err(AppError::bad_field(
                        "before",
                        "`before` goes with `last`; use `after` with `first`",
                    ));
                }
                Ok(PageSpec::Forward {
                    first: size(first.unwrap_or(DEFAULT_PAGE_SIZE), "first")?,
                    after: self
                        .after
                        .as_deref()
                        .map(|c| Cursor::decode(c, ordering, "after"))
                        .transpose()?,
                })
            }
        }
    }
}

/// A page of rows in display order.
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl PageSpec {
    /// Rows to fetch (one more than the page, to learn whether more follow),
    /// the cursor and its argument name, and whether the read goes backward.
    pub fn plan(&self) -> (u64, Option<&Cursor>, &'static str, bool) {
        match self {
            PageSpec::Forward { first, after } => (*first, after.as_ref(), "after", false),
            PageSpec::Backward { last, before } => (*last, before.as_ref(), "before", true),
        }
    }
}

impl<T> Page<T> {
    /// Builds the page from rows fetched with `limit + 1` in read order
    /// (reversed when reading backward).
    pub fn from_rows(mut items: Vec<T>, spec: &PageSpec) -> Self {
        let (limit, cursor, _, backward) = spec.plan();
        let has_more = items.len() as u64 > limit;
        items.truncate(limit as usize);
        if backward {
            items.reverse();
            Page {
                items,
                has_next_page: cursor.is_some(),
                has_previous_page: has_more,
            }
        } else {
            Page {
                items,
                has_next_page: has_more,
                has_previous_page: cursor.is_some(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_orderings() {
        let c = Cursor {
            ordering: "name:asc".into(),
            value: Value::String("Gốm".into()),
            id: 7,
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, "name:asc", "after").ok(), Some(c));
        assert!(Cursor::decode(&text, "price:asc", "after").is_err());
        assert!(Cursor::decode("%%%", "name:asc", "after").is_err());
    }

    #[test]
    fn page_args_validate() {
        let max = 100;
        let spec = |a: PageArgs| a.resolve("id:asc", max);
        assert!(matches!(
            spec(PageArgs::default()),
            Ok(PageSpec::Forward {
                first: 20,
                after: None
            })
        ));
        assert!(
            spec(PageArgs {
                first: Some(101),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            spec(PageArgs {
                first: Some(-1),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            spec(PageArgs {
                first: Some(1),
                last: Some(1),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            spec(PageArgs {
                last: Some(5),
                ..Default::default()
            })
            .is_ok()
        );
    }
}
