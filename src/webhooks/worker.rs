//! Sending: lease the deliveries that are due, sign and send each, and
//! record the outcome or schedule the retry.
//!
//! A lease (`lease_until_ms`) is the claim of one replica on one attempt,
//! taken in a short transaction (on PostgreSQL under `FOR UPDATE SKIP
//! LOCKED`, so replicas never wait on or take each other's rows; on SQLite
//! inside the writer's immediate transaction). A replica that dies
//! mid-attempt never records it; once the lease runs out the delivery is
//! due again, for another replica or the restarted one. An outcome is
//! recorded only under the lease it was taken with.
//!
//! In flight at once: `WEBHOOK_CONCURRENCY` in all and
//! `WEBHOOK_CONCURRENCY_PER_ENDPOINT` per endpoint, so a slow or dead
//! receiver holds a few slots for at most its timeout and never the others'.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::{webhook_delivery as wd, webhook_endpoint as we};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use tokio::sync::Semaphore;

use super::record::{self, Attempted, Claimed, Outcome};
use super::{Status, Webhooks, client, now_ms, secrets};
use crate::db::{Db, begin_write, is_sqlite};
use crate::error::AppResult;

/// A replica's attempts in flight, per endpoint.
type Busy = Arc<Mutex<HashMap<i64, u32>>>;

/// Looked at again this often when nothing wakes the worker (deliveries
/// queued by other replicas, retries falling due).
const IDLE: Duration = Duration::from_millis(250);
const LEASE_MARGIN_MS: i64 = 5_000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub async fn run(wh: Arc<Webhooks>, db: Db) {
    let total = Arc::new(Semaphore::new(
        Ord::max(wh.config.webhook_concurrency, 1) as usize
    ));
    // Outcomes are recorded by one task (`record`), as many as are waiting
    // in one transaction. An attempt keeps its slot until its outcome is
    // queued, so the queue holds at most `WEBHOOK_CONCURRENCY` of them.
    let (done, outcomes) = tokio::sync::mpsc::channel::<Attempted>(total.available_permits());
    tokio::spawn(crate::db::changes::tracking_writes(record::recorder(
        wh.clone(),
        db.clone(),
        outcomes,
    )));
    let busy: Busy = Arc::default();
    let mut pruned: Option<Instant> = None;
    loop {
        let free = total.available_permits();
        let mut claimed_any = false;
        if free > 0 {
            match claim(&wh, &db, free, &busy).await {
                Ok(batch) => {
                    claimed_any = !batch.is_empty();
                    for c in batch {
                        let Ok(permit) = total.clone().try_acquire_owned() else {
                            break;
                        };
                        let (wh, busy, done) = (wh.clone(), busy.clone(), done.clone());
                        tokio::spawn(async move {
                            let endpoint = c.endpoint.id;
                            let attempted = attempt(&wh, c).await;
                            // Only fails when the recorder is gone (shutdown):
                            // the lease runs out and the attempt is made again.
                            let _ = done.send(attempted).await;
                            drop(permit);
                            if let Ok(mut b) = busy.lock()
                                && let Some(n) = b.get_mut(&endpoint)
                            {
                                *n = n.saturating_sub(1);
                            }
                            wh.wake.notify_one();
                        });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "webhooks: leasing deliveries failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        if pruned.is_none_or(|at| at.elapsed() > PRUNE_EVERY) {
            match prune(&wh, &db).await {
                Ok(n) if n > 0 => {
                    tracing::info!(deliveries = n, "webhooks: pruned the delivery log")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "webhooks: pruning the delivery log failed"),
            }
            pruned = Some(Instant::now());
        }
        if claimed_any {
            continue;
        }
        tokio::select! {
            _ = wh.wake.notified() => {}
            _ = tokio::time::sleep(IDLE) => {}
        }
    }
}

async fn claim(wh: &Webhooks, db: &Db, free: usize, busy: &Busy) -> AppResult<Vec<Claimed>> {
    let now = now_ms();
    let backend = db.get_database_backend();
    let lock = if is_sqlite(db.conn()) {
        ""
    } else {
        " FOR UPDATE OF d SKIP LOCKED"
    };
    // Integers of ours, written into the statement.
    let sql = format!(
        "SELECT d.id, d.endpoint_id FROM webhook_delivery d
         JOIN webhook_endpoint e ON e.id = d.endpoint_id
         WHERE d.status = 'PENDING' AND e.enabled AND d.next_attempt_ms <= {now}
           AND (d.lease_until_ms IS NULL OR d.lease_until_ms < {now})
         ORDER BY d.next_attempt_ms, d.id LIMIT {limit}{lock}",
        limit = free * 4,
    );
    let per_endpoint = Ord::max(wh.config.webhook_concurrency_per_endpoint, 1);
    let (txn, slot) = begin_write(db).await?;
    let rows = txn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    let mut chosen = Vec::new();
    {
        let mut counts = busy.lock().map(|b| b.clone()).unwrap_or_default();
        for row in rows {
            if chosen.len() >= free {
                break;
            }
            let (id, endpoint): (i64, i64) =
                (row.try_get("", "id")?, row.try_get("", "endpoint_id")?);
            let n = counts.entry(endpoint).or_default();
            if *n < per_endpoint {
                *n += 1;
                chosen.push(id);
            }
        }
    }
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    // The attempt's timeout and a margin to record it: past that the
    // replica is taken for dead and the delivery is due again.
    let lease = now + wh.config.webhook_timeout.as_millis() as i64 + LEASE_MARGIN_MS;
    let deliveries = wd::Entity::update_many()
        .col_expr(wd::Column::LeaseUntilMs, Expr::value(lease))
        .col_expr(wd::Column::Attempts, Expr::col(wd::Column::Attempts).add(1))
        .filter(wd::Column::Id.is_in(chosen))
        .exec_with_returning(&txn)
        .await?;
    let mut endpoints: HashMap<i64, we::Model> = we::Entity::find()
        .filter(we::Column::Id.is_in(deliveries.iter().map(|d| d.endpoint_id)))
        .all(&txn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    slot.commit(txn).await?;
    let mut out = Vec::with_capacity(deliveries.len());
    let mut b = busy
        .lock()
        .map_err(|_| crate::error::AppError::internal(std::io::Error::other("poisoned")))?;
    for delivery in deliveries {
        let Some(endpoint) = endpoints.get(&delivery.endpoint_id).cloned() else {
            continue;
        };
        *b.entry(endpoint.id).or_default() += 1;
        out.push(Claimed {
            delivery,
            endpoint,
            lease,
        });
    }
    endpoints.clear();
    Ok(out)
}

fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if let Some(r) = e.downcast_ref::<client::Refused>() {
            return format!("refused before connecting: {r}");
        }
        source = e.source();
    }
    if err.is_timeout() {
        format!("no answer within {} s", timeout.as_secs_f64())
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed before an answer".to_owned()
    }
}

async fn send(wh: &Webhooks, d: &wd::Model, e: &we::Model) -> Outcome {
    let fail = |reason: String| Outcome {
        status: None,
        reason: Some(reason),
    };
    let Ok(url) = url::Url::parse(&e.url) else {
        return fail("the endpoint's URL does not parse".into());
    };
    if let Err(r) = client::check_literal(&url, wh.policy) {
        return fail(format!("refused before connecting: {r}"));
    }
    let now = now_ms();
    let timestamp = now / 1000;
    let mut signatures = Vec::with_capacity(2);
    let mut sealed = vec![e.secret_sealed.as_str()];
    if let (Some(p), Some(until)) = (&e.previous_sealed, e.previous_until_ms)
        && until > now
    {
        sealed.push(p);
    }
    for s in sealed {
        match wh.key.open(s) {
            Ok(secret) => {
                if let Some(sig) =
                    secrets::sign(&secret, &d.message_id, timestamp, d.payload.as_bytes())
                {
                    signatures.push(sig);
                }
            }
            Err(_) => {
                return fail(
                    "the endpoint's secret cannot be opened (WEBHOOK_SECRET_KEY changed?)".into(),
                );
            }
        }
    }
    let request = wh
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(d.payload.clone());
    match request.send().await {
        // The body is never read: only the status is kept.
        Ok(response) => Outcome {
            status: Some(response.status().as_u16()),
            reason: None,
        },
        Err(err) => fail(describe(&err, wh.config.webhook_timeout)),
    }
}

async fn attempt(wh: &Webhooks, claimed: Claimed) -> Attempted {
    let started = Instant::now();
    let outcome = send(wh, &claimed.delivery, &claimed.endpoint).await;
    Attempted {
        claimed,
        outcome,
        took: started.elapsed(),
    }
}

/// Drops settled log entries older than `WEBHOOK_LOG_RETENTION`.
pub async fn prune(wh: &Webhooks, db: &Db) -> AppResult<u64> {
    let before = now_ms() - wh.config.webhook_log_retention.as_millis() as i64;
    let (txn, slot) = begin_write(db).await?;
    let n = wd::Entity::delete_many()
        .filter(wd::Column::CreatedAtMs.lt(before))
        .filter(wd::Column::Status.ne(Status::Pending.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    slot.commit(txn).await?;
    Ok(n)
}
