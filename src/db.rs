//! Database connection, migration and the transaction flavour every write
//! uses. Every behaviour must hold on SQLite (the embedded default) and on
//! PostgreSQL (production), so backend differences are confined here.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Config;

/// How long a SQLite writer waits for the write lock before giving up. Writers
/// queue on the lock rather than failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn connect(config: &Config) -> Result<DatabaseConnection, DbErr> {
    connect_url(
        config.database_url.expose(),
        config.db_max_connections,
        config.db_statement_timeout_ms,
    )
    .await
}

/// For the one-shot commands (migrate, seed, check): bulk statements may
/// legitimately run for minutes, so no statement timeout applies.
pub async fn connect_admin(config: &Config) -> Result<DatabaseConnection, DbErr> {
    connect_url(config.database_url.expose(), config.db_max_connections, 0).await
}

/// `statement_timeout_ms` bounds each statement and lock wait on
/// PostgreSQL; 0 means none.
pub async fn connect_url(
    url: &str,
    max_connections: u32,
    statement_timeout_ms: u64,
) -> Result<DatabaseConnection, DbErr> {
    let mut opt = ConnectOptions::new(url);
    opt.max_connections(max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode survives a killed process (the WAL is
                // written before commit returns); only an OS crash can lose
                // the last transactions.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .create_if_missing(true)
        })
        .map_sqlx_postgres_opts(move |o| {
            o.options([
                ("statement_timeout", statement_timeout_ms.to_string()),
                ("lock_timeout", statement_timeout_ms.to_string()),
            ])
        });
    Database::connect(opt).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

pub fn is_sqlite(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Sqlite
}

/// Every SQLite writer of this process queues here, first come first
/// served, before taking the database's write lock. Without it, writers
/// that find the lock taken poll for it with SQLite's busy handler, sleeping
/// up to 100 ms between tries: under load most of the time went to sleeping.
/// (Other processes on the same file still wait on the busy timeout.)
static SQLITE_WRITERS: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));

/// This process's SQLite writer slot, held until dropped: keep it alive
/// (`let (txn, _slot) = begin_write(..)`) until the transaction ends.
pub struct WriterSlot(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

/// Begins a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`), so a transaction that reads before it writes
/// can never fail to upgrade its lock. On PostgreSQL it is an ordinary READ
/// COMMITTED transaction; stock rows are protected by conditional updates.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<(DatabaseTransaction, WriterSlot), DbErr> {
    let slot = if is_sqlite(db) {
        Some(SQLITE_WRITERS.clone().lock_owned().await)
    } else {
        None
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok((txn, WriterSlot(slot)))
}
