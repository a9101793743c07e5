//! The gateway's two clocks, and the only place either is read:
//! - `now()`: an instant, in UTC, for every timestamp stored or shown
//!   (RFC 3339 on the wire);
//! - `business_today()`: a date, the local business day in
//!   Asia/Ho_Chi_Minh, for every rule about days (delivery dates, contract
//!   and certificate validity, report windows, the days of cover).
//!
//! No rule compares a date with the UTC date.

use chrono::{DateTime, SubsecRound, Utc};

/// Now, at microsecond precision: what PostgreSQL stores, so a timestamp
/// read back (and put in a cursor) compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Every partner's business day is local to Asia/Ho_Chi_Minh (UTC+7, no
/// daylight saving).
pub const BUSINESS_UTC_OFFSET_HOURS: i64 = 7;

/// Today, as a partner's business day.
pub fn business_today() -> chrono::NaiveDate {
    (Utc::now() + chrono::Duration::hours(BUSINESS_UTC_OFFSET_HOURS)).date_naive()
}
