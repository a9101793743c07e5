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

pub mod sql;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::{Config, SqliteSync};

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
    version: Arc<DataVersion>,
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

/// What this replica knows of the data's version, for HTTP caching: an
/// epoch that moves whenever a write transaction of this pool commits and
/// whenever a commit elsewhere is announced (PostgreSQL's NOTIFY, see
/// `crate::live::wake`). Equal epochs mean no commit was seen in between,
/// so a response computed at one is still the answer at the other.
///
/// On SQLite the pool's writers are every writer (one process owns the
/// file), so the epoch is always known. On PostgreSQL it is known only
/// while this replica listens for the others' commits: while it does not,
/// nothing may be answered from it.
#[derive(Debug)]
pub struct DataVersion {
    epoch: AtomicU64,
    known: AtomicBool,
}

impl DataVersion {
    /// The epoch now, or `None` when this replica cannot know it.
    pub fn current(&self) -> Option<u64> {
        self.known
            .load(Ordering::Acquire)
            .then(|| self.epoch.load(Ordering::Acquire))
    }

    /// Something committed (or may have: a lost announcement counts too).
    pub fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Listening for other replicas' commits started (`true`) or stopped.
    /// Either way what was answered before no longer holds.
    pub fn set_known(&self, known: bool) {
        self.bump();
        self.known.store(known, Ordering::Release);
    }
}

impl Db {
    pub fn new(conn: DatabaseConnection) -> Self {
        let writers = is_sqlite(&conn).then(|| Arc::new(Mutex::new(())));
        Self {
            writers,
            writes_ended: Arc::new(Notify::new()),
            version: Arc::new(DataVersion {
                epoch: AtomicU64::new(0),
                known: AtomicBool::new(is_sqlite(&conn)),
            }),
            access: PartnerAccess {
                announce: tokio::sync::broadcast::channel(64).0,
                heard: tokio::sync::broadcast::channel(256).0,
            },
            conn,
        }
    }

    pub fn version(&self) -> &Arc<DataVersion> {
        &self.version
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

    /// For instrumentation (a statement counter) before the pool is shared.
    pub fn conn_mut(&mut self) -> &mut DatabaseConnection {
        &mut self.conn
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
    version: Arc<DataVersion>,
    committed: bool,
}

impl WriterSlot {
    /// Commits `txn`, and only then announces a change: a transaction that
    /// is dropped instead (a refusal rolls back) changes nothing, so it
    /// retires no kept answer or `ETag`, here or on another replica.
    pub async fn commit(mut self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        txn.commit().await?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for WriterSlot {
    // After the commit, so waiters wake to see it. A rolled-back write
    // frees the SQLite queue and nothing else.
    fn drop(&mut self) {
        if self.committed {
            self.version.bump();
            self.ended.notify_one();
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
    Ok((
        txn,
        WriterSlot {
            _queue: slot,
            ended: db.writes_ended.clone(),
            version: db.version.clone(),
            committed: false,
        },
    ))
}
