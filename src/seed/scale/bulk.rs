//! Multi-row INSERTs with explicit ids: the fastest portable way to load
//! millions of rows into either backend.

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

/// Buffers rows and writes them as multi-row INSERTs.
pub struct Bulk<'a, C: ConnectionTrait> {
    db: &'a C,
    head: String,
    columns: usize,
    rows_per_statement: usize,
    values: Vec<Value>,
    written: u64,
}

impl<'a, C: ConnectionTrait> Bulk<'a, C> {
    pub fn new(db: &'a C, table: &str, columns: &[&str]) -> Self {
        // Both backends take well over 30,000 parameters per statement, but
        // sqlx binds SQLite's by looking each one's name up among all of
        // them (quadratic in the count: 30,000 made the orders phase take
        // five minutes), so SQLite gets small statements.
        let max_params = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => 500,
            _ => 30_000,
        };
        let rows_per_statement = (max_params / columns.len()).clamp(1, 1_000);
        Self {
            db,
            head: format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")),
            columns: columns.len(),
            rows_per_statement,
            values: Vec::with_capacity(rows_per_statement * columns.len()),
            written: 0,
        }
    }

    pub async fn row(&mut self, row: Vec<Value>) -> Result<(), DbErr> {
        self.buffer(row);
        if self.values.len() >= self.rows_per_statement * self.columns {
            self.flush().await?;
        }
        Ok(())
    }

    /// Holds a row until the next `flush`, for tables whose rows must wait
    /// for the rows they reference.
    pub fn buffer(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns);
        self.values.extend(row);
    }

    pub async fn flush(&mut self) -> Result<(), DbErr> {
        let backend = self.db.get_database_backend();
        let values = std::mem::take(&mut self.values);
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Value> = values
                .by_ref()
                .take(self.rows_per_statement * self.columns)
                .collect();
            let rows = chunk.len() / self.columns;
            let mut sql = String::with_capacity(self.head.len() + chunk.len() * 6);
            sql.push_str(&self.head);
            for n in 0..chunk.len() {
                let col = n % self.columns;
                sql.push_str(match (n, col) {
                    (0, _) => "(",
                    (_, 0) => "), (",
                    _ => ", ",
                });
                sql.push('$');
                sql.push_str(&(n + 1).to_string());
            }
            sql.push(')');
            self.db
                .execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                .await?;
            self.written += rows as u64;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> Result<u64, DbErr> {
        self.flush().await?;
        Ok(self.written)
    }
}

pub async fn next_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}"),
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "m"))
        .transpose()?
        .unwrap_or(0)
        + 1)
}
