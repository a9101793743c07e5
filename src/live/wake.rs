//! Wake-ups: a small signal, after a commit, that the outboxes have
//! something new. One trait, two implementations, chosen by the database:
//! on SQLite (one process owns the file's writers) the pool's own
//! end-of-write signal; on PostgreSQL, LISTEN/NOTIFY, so a commit on any
//! replica wakes every replica. A wake-up carries nothing: readers re-read
//! the outboxes from their position, so a lost or doubled one costs at
//! most a delay until the next poll.
//!
//! The same channel carries a partner's access changes (`partner:<id>`,
//! see `crate::db::PartnerAccess`), so a suspension or revocation on one
//! replica ends that partner's open streams on every replica at once. Id 0
//! means "any partner" (announcements were lost): every stream re-checks.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use tokio::sync::Notify;

use crate::db::changes::{Changes, Registry};
use crate::db::{Db, PartnerAccess};

pub const CHANNEL: &str = "ocop_events";

/// What a NOTIFY may carry of changed keys (PostgreSQL's limit is 8,000
/// bytes a payload, the prefix included).
const MAX_PAYLOAD: usize = 7_900;

#[async_trait::async_trait]
pub trait WakeSource: Send + Sync {
    /// Runs for the life of the process, notifying `wake` after commits.
    async fn run(self: Box<Self>, wake: Arc<Notify>);
}

/// Picks the implementation for the database behind `db` (whose writes
/// are announced); `own` is a pool of the hub's, so that an announcement
/// never queues behind requests for a connection.
pub fn for_database(db: &Db, own: &Db, url: &str) -> Box<dyn WakeSource> {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => Box::new(PgNotify {
            ended: db.writes_ended(),
            changes: db.changes().clone(),
            replica: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
            access: db.partner_access().clone(),
            db: own.clone(),
            url: url.to_owned(),
        }),
        _ => Box::new(InProcess { db: db.clone() }),
    }
}

/// SQLite: the writers of this pool are the only writers.
pub struct InProcess {
    db: Db,
}

#[async_trait::async_trait]
impl WakeSource for InProcess {
    async fn run(self: Box<Self>, wake: Arc<Notify>) {
        let ended = self.db.writes_ended();
        loop {
            ended.notified().await;
            wake.notify_one();
        }
    }
}

/// PostgreSQL: this replica's commits are announced with NOTIFY (after the
/// commit, coalesced: a burst of commits sends one), and one LISTEN
/// connection per replica hears every replica's.
pub struct PgNotify {
    ended: Arc<Notify>,
    changes: Arc<Registry>,
    /// This replica's mark on what it announces, so it does not retire its
    /// own answers a second time when it hears itself.
    replica: String,
    access: PartnerAccess,
    db: Db,
    url: String,
}

#[async_trait::async_trait]
impl WakeSource for PgNotify {
    async fn run(self: Box<Self>, wake: Arc<Notify>) {
        let announce = {
            let (db, ended) = (self.db.clone(), self.ended.clone());
            let (changes, replica) = (self.changes.clone(), self.replica.clone());
            let mut partners = self.access.announce.subscribe();
            async move {
                loop {
                    // The payload is ours (integers and letters), never a
                    // client's: `c:<replica>:<changes>` after commits, what
                    // they changed since the last one (`*` when it does not
                    // fit NOTIFY's 8,000 bytes).
                    let payload = tokio::select! {
                        _ = ended.notified() => {
                            let changed = changes.take_outgoing();
                            let keys = changed.encode(MAX_PAYLOAD).unwrap_or_else(|| "*".into());
                            format!("c:{replica}:{keys}")
                        }
                        changed = partners.recv() => match changed {
                            Ok(id) => format!("partner:{id}"),
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => "partner:0".into(),
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => String::new(),
                        },
                    };
                    let sql = format!("SELECT pg_notify('{CHANNEL}', '{payload}')");
                    if let Err(e) = db
                        .execute_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
                        .await
                    {
                        tracing::warn!(error = %e, "live events: NOTIFY failed; subscribers catch up at the next poll");
                    }
                }
            }
        };
        let listen = async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match listen_once(&self.url, &wake, &self.changes, &self.replica, &self.access)
                    .await
                {
                    Ok(()) => backoff = Duration::from_millis(100),
                    Err(e) => {
                        tracing::warn!(error = %e, "live events: LISTEN connection lost; reconnecting");
                    }
                }
                // Whatever was announced while away is read now; and
                // until listening again, nothing is known of others' commits.
                self.changes.set_known(false);
                // Access changes announced meanwhile were not heard either.
                let _ = self.access.heard.send(0);
                wake.notify_one();
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        };
        tokio::join!(announce, listen);
    }
}

async fn listen_once(
    url: &str,
    wake: &Notify,
    changes: &Registry,
    replica: &str,
    access: &PartnerAccess,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Connected: anything missed before is read now.
    changes.set_known(true);
    wake.notify_one();
    loop {
        let Some(notification) = listener.try_recv().await? else {
            // Reconnected afresh by the caller, which marks the version
            // unknown until then: what is committed meanwhile is not heard.
            tracing::warn!("live events: LISTEN connection lost; reconnecting");
            return Ok(());
        };
        let payload = notification.payload();
        if let Some(id) = payload
            .strip_prefix("partner:")
            .and_then(|id| id.parse::<i64>().ok())
        {
            let _ = access.heard.send(id);
        } else if let Some((from, keys)) = payload
            .strip_prefix("c:")
            .and_then(|rest| rest.split_once(':'))
        {
            if from != replica {
                changes.apply(&Changes::decode(keys));
            }
        } else {
            // Not ours to read (a replica of another version): everything.
            changes.apply(&Changes::everything());
        }
        wake.notify_one();
    }
}
