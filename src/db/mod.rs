//! Database connection, migration and the transaction flavour every write
//! uses. Every behaviour must hold on SQLite (the embedded default) and on
//! PostgreSQL (production). Where the two differ:
//! - connection and transaction behaviour (journal mode, the one-writer
//!   slot, timeouts) is here;
//! - SQL dialect fragments (parameters, local days, hours, the settled-
//!   transaction filter) are in `sql`, each written once;
//! - where PostgreSQL gets a different strategy for a rule (one set-based,
//!   row-locking statement where SQLite takes one per row), the branch
//!   stays beside that rule, in the domain function that owns it, and says
//!   why. `grep is_sqlite` finds each.

pub mod changes;
pub mod sql;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::{Config, SqliteSync};
use changes::Registry;

/// How long a SQLite writer waits for the write lock before giving up. Writers
/// queue on the lock rather than failing with "database is locked".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection pool and, on SQLite, its writers' queue.
///
/// Every SQLite writer of this pool queues on `writers`, first come first
/// served, before taking the database's write lock. Without it, writers
/// that find the lock taken poll for it with SQLite's busy handler,
/// sleeping up to 100 ms between tries: under load most of the time went
/// to sleeping. The queue belongs to the pool, not the process: another
/// pool on the same file (another replica, in this process or another)
/// meets this one on SQLite's lock and busy timeout, as it would in
/// production.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    writers: Option<Arc<Mutex<()>>>,
    /// Signalled when a write transaction of this pool commits: the live
    /// events' wake-up (`crate::live`) and the NOTIFY to other replicas.
    writes_ended: Arc<Notify>,
    /// What changed when, for kept answers (`changes`).
    changes: Arc<Registry>,
    access: PartnerAccess,
}

/// Announcements that a partner's access changed (suspended, reactivated,
/// tokens revoked, grants changed), so open streams and cached records
/// follow at once instead of at their next periodic check. `announce`
/// carries this replica's changes out (NOTIFY on PostgreSQL, see
/// `crate::live::wake`); `heard` delivers every replica's, this one's
/// included, to whoever must act on them.
#[derive(Clone, Debug)]
pub struct PartnerAccess {
    pub announce: tokio::sync::broadcast::Sender<i64>,
    pub heard: tokio::sync::broadcast::Sender<i64>,
}

impl Db {
    pub fn new(conn: DatabaseConnection) -> Self {
        // On SQLite this pool's writers are every writer (one process owns
        // the file), so what changed is always known; on PostgreSQL only
        // while this replica hears the others (`crate::live::wake`).
        let changes = Arc::new(Registry::new(is_sqlite(&conn)));
        Self::sharing(conn, changes)
    }

    /// A pool whose commits are recorded in `changes`: another pool of
    /// this replica (the webhooks' own) shares the replica's registry.
    pub fn sharing(mut conn: DatabaseConnection, changes: Arc<Registry>) -> Self {
        let writers = is_sqlite(&conn).then(|| Arc::new(Mutex::new(())));
        let seen = changes.clone();
        conn.set_metric_callback(move |info| changes::observe(&info.statement.sql, &seen));
        Self {
            writers,
            writes_ended: Arc::new(Notify::new()),
            changes,
            access: PartnerAccess {
                announce: tokio::sync::broadcast::channel(64).0,
                heard: tokio::sync::broadcast::channel(256).0,
            },
            conn,
        }
    }

    pub fn changes(&self) -> &Arc<Registry> {
        &self.changes
    }

    /// Statements are seen by `extra` too (a test's counter), after
    /// `changes` has seen them.
    pub fn observe_statements(&mut self, extra: impl Fn(&str) + Send + Sync + 'static) {
        let seen = self.changes.clone();
        self.conn.set_metric_callback(move |info| {
            changes::observe(&info.statement.sql, &seen);
            extra(&info.statement.sql);
        });
    }

    /// Notified after each write transaction of this pool ends (one stored
    /// permit: a burst of commits wakes a waiter once).
    pub fn writes_ended(&self) -> Arc<Notify> {
        self.writes_ended.clone()
    }

    /// A committed change to `partner_id`'s access: heard here at once,
    /// and announced to the other replicas.
    pub fn partner_access_changed(&self, partner_id: i64) {
        // No receiver is fine: nobody listens on this replica yet.
        let _ = self.access.announce.send(partner_id);
        let _ = self.access.heard.send(partner_id);
    }

    pub fn partner_access(&self) -> &PartnerAccess {
        &self.access
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

impl std::ops::Deref for Db {
    type Target = DatabaseConnection;
    fn deref(&self) -> &DatabaseConnection {
        &self.conn
    }
}

pub async fn connect(config: &Config) -> Result<Db, DbErr> {
    connect_with(
        config.database_url.expose(),
        config.db_max_connections,
        config.db_statement_timeout_ms,
        config.sqlite_synchronous,
    )
    .await
}

/// For the one-shot commands (migrate, seed, check): bulk statements may
/// legitimately run for minutes, so no statement timeout applies.
pub async fn connect_admin(config: &Config) -> Result<Db, DbErr> {
    connect_with(
        config.database_url.expose(),
        config.db_max_connections,
        0,
        config.sqlite_synchronous,
    )
    .await
}

/// `statement_timeout_ms` bounds each statement and lock wait on
/// PostgreSQL; 0 means none.
pub async fn connect_url(
    url: &str,
    max_connections: u32,
    statement_timeout_ms: u64,
) -> Result<Db, DbErr> {
    connect_with(url, max_connections, statement_timeout_ms, SqliteSync::Full).await
}

async fn connect_with(
    url: &str,
    max_connections: u32,
    statement_timeout_ms: u64,
    sync: SqliteSync,
) -> Result<Db, DbErr> {
    let synchronous = match sync {
        SqliteSync::Full => SqliteSynchronous::Full,
        SqliteSync::Normal => SqliteSynchronous::Normal,
    };
    let mut opt = ConnectOptions::new(url);
    opt.max_connections(max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit returns only once the WAL is synced to
                // disk, so an acknowledged order survives power loss, not
                // just a killed process (which NORMAL already survives).
                .synchronous(synchronous)
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
    Database::connect(opt).await.map(Db::new)
}

/// Applies pending migrations (the schema only: data steps such as the
/// rollup backfill belong to the commands that start, `cli`).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// PostgreSQL chose this transaction to break a deadlock (40P01). Each of
/// the two places a database error is turned into something else (an
/// `AppError`, or a retry of `placeOrder`) asks this once and counts it.
pub fn is_deadlock(e: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx};
    let (DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err))) = e
    else {
        return false;
    };
    matches!(&**err, sqlx::Error::Database(d) if d.code().as_deref() == Some("40P01"))
}

pub fn is_sqlite(db: &impl sea_orm::ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Sqlite
}

/// A place in the pool's SQLite writer queue, held until dropped: keep it alive
/// (`let (txn, slot) = begin_write(..)`) and end with `slot.commit(txn)`.
pub struct WriterSlot {
    _queue: Option<OwnedMutexGuard<()>>,
    ended: Arc<Notify>,
    changes: Arc<Registry>,
    done: bool,
}

impl WriterSlot {
    /// Commits `txn`, and only then announces what it changed (as the
    /// statements of this task's transaction named it, `changes`): a
    /// transaction that is dropped instead (a refusal rolls back) changes
    /// nothing, so it retires no kept answer or `ETag`, here or on another
    /// replica.
    pub async fn commit(mut self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        let result = txn.commit().await;
        self.done = true;
        let changed = changes::end(result.is_ok());
        if result.is_ok() {
            self.changes.committed(changed);
            // After the commit, so waiters wake to see it.
            self.ended.notify_one();
        }
        result
    }
}

impl Drop for WriterSlot {
    // A rolled-back write frees the SQLite queue and changes nothing.
    fn drop(&mut self) {
        if !self.done {
            changes::end(false);
        }
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`), so a transaction that reads before it writes
/// can never fail to upgrade its lock. On PostgreSQL it is an ordinary READ
/// COMMITTED transaction; stock rows are protected by conditional updates.
pub async fn begin_write(db: &Db) -> Result<(DatabaseTransaction, WriterSlot), DbErr> {
    let slot = match &db.writers {
        Some(queue) => Some(queue.clone().lock_owned().await),
        None => None,
    };
    let txn = db
        .conn
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    changes::begin();
    Ok((
        txn,
        WriterSlot {
            _queue: slot,
            ended: db.writes_ended.clone(),
            changes: db.changes.clone(),
            done: false,
        },
    ))
}
