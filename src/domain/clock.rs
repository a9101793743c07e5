//! The gateway's two clocks, and the only place either is read:
//! - `now()`: an instant, in UTC, for every timestamp stored or shown
//!   (RFC 3339 on the wire);
//! - `business_today()`: a date, the local business day in
//!   Asia/Ho_Chi_Minh, for every rule about days (delivery dates, contract
//!   and certificate validity, report windows, the days of cover).
//!
//! No rule compares a date with the UTC date.
//!
//! Both can run shifted (`OCOP_CLOCK_OFFSET_DAYS`, development only): the
//! shift rides along with a request's task (`shifted`), and with the tasks
//! it spawns (`carry`), so two gateways in one process (a test and its
//! replica "a year later") each keep their own time.

use std::future::Future;

use chrono::{DateTime, Duration, SubsecRound, Utc};

tokio::task_local! {
    static SHIFT: Duration;
}

fn shift() -> Duration {
    SHIFT.try_with(|s| *s).unwrap_or_else(|_| Duration::zero())
}

/// Runs `work` with the clocks moved by `by`.
pub async fn shifted<F: Future>(by: Duration, work: F) -> F::Output {
    if by.is_zero() {
        work.await
    } else {
        SHIFT.scope(by, work).await
    }
}

/// Wraps `work` to run on another task with the current task's shift.
pub fn carry<F: Future>(work: F) -> impl Future<Output = F::Output> {
    shifted(shift(), work)
}

/// Now, at microsecond precision: what PostgreSQL stores, so a timestamp
/// read back (and put in a cursor) compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    (Utc::now() + shift()).trunc_subsecs(6)
}

/// Every partner's business day is local to Asia/Ho_Chi_Minh (UTC+7, no
/// daylight saving).
pub const BUSINESS_UTC_OFFSET_HOURS: i64 = 7;

/// Today, as a partner's business day.
pub fn business_today() -> chrono::NaiveDate {
    (Utc::now() + shift() + Duration::hours(BUSINESS_UTC_OFFSET_HOURS)).date_naive()
}
