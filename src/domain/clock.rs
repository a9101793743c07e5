use chrono::{DateTime, SubsecRound, Utc};

/// Now, at microsecond precision: what PostgreSQL stores, so a timestamp
/// read back (and put in a cursor) compares equal on both backends.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
