//! The SQL dialect fragments that differ between SQLite and PostgreSQL,
//! each written once. Code that builds raw SQL asks here instead of
//! matching on the backend itself.

use sea_orm::DatabaseBackend;

fn postgres(backend: DatabaseBackend) -> bool {
    backend == DatabaseBackend::Postgres
}

/// The `n`-th bind parameter (1-based): `$n` on PostgreSQL, `?n` on SQLite
/// (numbered, so one value may be used twice on both).
pub fn param(backend: DatabaseBackend, n: usize) -> String {
    if postgres(backend) {
        format!("${n}")
    } else {
        format!("?{n}")
    }
}

/// A UTC timestamp column's local day, shifted by `offset_hours`, as
/// `YYYY-MM-DD` text.
pub fn local_day(backend: DatabaseBackend, column: &str, offset_hours: i64) -> String {
    if postgres(backend) {
        format!(
            "to_char(({column} AT TIME ZONE 'UTC') + interval '{offset_hours} hours', 'YYYY-MM-DD')"
        )
    } else {
        format!("date({column}, '+{offset_hours} hours')")
    }
}

/// `at`'s local day (shifted by `offset_hours`) is on or before the date
/// column `date_column`.
pub fn local_date_le(
    backend: DatabaseBackend,
    at: &str,
    date_column: &str,
    offset_hours: i64,
) -> String {
    if postgres(backend) {
        format!(
            "CAST(({at} AT TIME ZONE 'UTC') + interval '{offset_hours} hours' AS DATE) <= {date_column}"
        )
    } else {
        format!("date({at}, '+{offset_hours} hours') <= {date_column}")
    }
}

/// Hours (fractional) from timestamp `from` to timestamp `to`.
pub fn hours_between(backend: DatabaseBackend, from: &str, to: &str) -> String {
    if postgres(backend) {
        format!("FLOOR(EXTRACT(EPOCH FROM ({to} - {from})) / 3600)")
    } else {
        format!("(julianday({to}) - julianday({from})) * 24")
    }
}

/// `SUM(expr)` of integers as a BIGINT, or -1 when the sum passes `cap`
/// (so it never overflows a 64-bit integer, an error on both databases).
/// SQLite sums in floating point here (`TOTAL`), exact up to 2^53, which
/// is as far as any cap of ours goes.
pub fn capped_sum(backend: DatabaseBackend, expr: &str, cap: i64) -> String {
    if postgres(backend) {
        format!("CASE WHEN SUM({expr}) > {cap} THEN -1 ELSE CAST(SUM({expr}) AS BIGINT) END")
    } else {
        format!("CASE WHEN TOTAL({expr}) > {cap} THEN -1 ELSE CAST(TOTAL({expr}) AS INTEGER) END")
    }
}

/// A condition that keeps only outbox rows whose transaction, and every
/// one before it, has ended: on PostgreSQL a later-committing transaction
/// can hold a smaller `tx`, so a reader must not pass it by. SQLite has
/// one writer at a time, so every visible row is settled.
pub fn settled(backend: DatabaseBackend, alias: &str) -> String {
    if postgres(backend) {
        format!(
            " AND {alias}.tx < CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)"
        )
    } else {
        String::new()
    }
}

/// A statement that holds `key` until the transaction ends, so that one
/// task at a time across replicas does the work behind it. None on SQLite,
/// where the write slot already serialises writers.
pub fn advisory_xact_lock(backend: DatabaseBackend, key: i64) -> Option<String> {
    postgres(backend).then(|| format!("SELECT pg_advisory_xact_lock({key})"))
}

/// True when an outbox holds committed rows that are not settled yet: a
/// transaction that began before them is still running (on PostgreSQL the
/// horizon is the whole cluster's, other databases' transactions
/// included). A reader woken for those rows must look again soon, as no
/// further wake-up may come. Always false on SQLite.
pub fn held_back_sql(backend: DatabaseBackend, tables: &[&str]) -> Option<String> {
    if !postgres(backend) {
        return None;
    }
    let horizon = "CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)";
    let any: Vec<String> = tables
        .iter()
        .map(|t| format!("EXISTS (SELECT 1 FROM {t} WHERE tx >= {horizon})"))
        .collect();
    Some(format!("SELECT ({}) AS held", any.join(" OR ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_on_both_backends() {
        assert_eq!(param(DatabaseBackend::Postgres, 3), "$3");
        assert_eq!(param(DatabaseBackend::Sqlite, 3), "?3");
    }

    #[test]
    fn only_postgres_filters_unsettled_rows() {
        assert!(settled(DatabaseBackend::Sqlite, "m").is_empty());
        assert!(settled(DatabaseBackend::Postgres, "m").contains("m.tx <"));
    }
}
