//! Webhooks: events pushed to partners' own systems, a second consumer of
//! the outboxes beside `live`.
//!
//! - `endpoints`: a partner's receivers, their secrets and rules;
//! - `fanout`: each new outbox event becomes one delivery per endpoint
//!   that may see it (`audience`), in the transaction that moves the
//!   fan-out's cursor, so an event is fanned out exactly once;
//! - `worker`: leases due deliveries (one replica per attempt), signs and
//!   sends them (`client`, with its SSRF guard);
//! - `record`: what each attempt came to and the retry it schedules,
//!   recorded a batch at a time;
//! - `secrets`: generation, sealing at rest, Standard Webhooks signatures.
//!
//! At least once: a delivery row exists before any attempt, and is DONE
//! only after a 2xx. Receivers deduplicate by `webhook-id` and order by
//! the payload's `cursor`.

pub mod audience;
pub mod client;
pub mod endpoints;
pub mod fanout;
pub mod payload;
pub mod record;
pub mod secrets;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::config::{Config, ConfigError, Environment, WebhookConfig};
use crate::db::Db;
use crate::metrics::WebhookMetrics;

/// What an endpoint subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    OrderEvents,
    StockChanged,
    LowStock,
    ProductChanged,
}

impl Topic {
    pub const ALL: [Topic; 4] = [
        Topic::OrderEvents,
        Topic::StockChanged,
        Topic::LowStock,
        Topic::ProductChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrderEvents => "ORDER_EVENTS",
            Topic::StockChanged => "STOCK_CHANGED",
            Topic::LowStock => "LOW_STOCK",
            Topic::ProductChanged => "PRODUCT_CHANGED",
        }
    }

    pub fn parse_list(stored: &str) -> Vec<Topic> {
        Topic::ALL
            .into_iter()
            .filter(|t| stored.split(',').any(|s| s == t.as_str()))
            .collect()
    }

    pub fn store_list(topics: &[Topic]) -> String {
        let mut v = topics.to_vec();
        v.sort();
        v.dedup();
        v.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// A delivery's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pending,
    Delivered,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Delivered => "DELIVERED",
            Status::Failed => "FAILED",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "DELIVERED" => Status::Delivered,
            "FAILED" => Status::Failed,
            _ => Status::Pending,
        }
    }
}

/// Everything webhooks need at run time; one per replica.
pub struct Webhooks {
    pub key: secrets::SealKey,
    pub client: reqwest::Client,
    pub policy: client::Policy,
    pub config: WebhookConfig,
    /// `DEFAULT_REORDER_POINT`, for `stock.low`.
    pub reorder_point: i64,
    /// Rung when a delivery is queued or a slot frees: the worker looks.
    pub wake: Arc<Notify>,
    /// Rung after commits (the live events' wake-ups): the fan-out reads.
    pub fanout_wake: Arc<Notify>,
    pub metrics: WebhookMetrics,
}

impl Webhooks {
    /// None in production without `WEBHOOK_SECRET_KEY`: then endpoints
    /// cannot be registered (and say why), and nothing is sent.
    pub fn from_config(
        config: &Config,
        metrics: WebhookMetrics,
    ) -> Result<Option<Arc<Webhooks>>, ConfigError> {
        let key = match config.webhook_key() {
            Ok(key) => key,
            Err(ConfigError::MissingWebhookKey) => return Ok(None),
            Err(e) => return Err(e),
        };
        let key = secrets::SealKey::new(&key).ok_or(ConfigError::InvalidWebhookKey)?;
        let policy = client::Policy {
            allow_http: config.env == Environment::Development,
            allow_private: config
                .webhooks
                .webhook_allow_private_targets
                .unwrap_or(config.env == Environment::Development),
        };
        let client = client::build(policy, config.webhooks.webhook_timeout)
            .map_err(|e| ConfigError::Media(format!("the webhook client cannot be built: {e}")))?;
        Ok(Some(Arc::new(Webhooks {
            key,
            client,
            policy,
            config: config.webhooks.clone(),
            reorder_point: config.default_reorder_point,
            wake: Arc::new(Notify::new()),
            fanout_wake: Arc::new(Notify::new()),
            metrics,
        })))
    }

    /// Starts this replica's fan-out and sender on a pool of their own
    /// (requests never wait behind them for a connection).
    pub fn start(self: &Arc<Self>, url: String, changes: Arc<crate::db::changes::Registry>) {
        let wh = self.clone();
        tokio::spawn(async move {
            let db = loop {
                match crate::db::connect_url(&url, 3, 5_000).await {
                    // Its commits are this replica's: they go in its registry.
                    Ok(db) => break crate::db::Db::sharing(db.conn().clone(), changes.clone()),
                    Err(e) => {
                        tracing::warn!(error = %e, "webhooks: cannot connect; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            // Their commits name the webhook tables they wrote, and so
            // retire no kept answer but the (never kept) webhook log.
            tokio::spawn(crate::db::changes::tracking_writes(worker::run(
                wh.clone(),
                db.clone(),
            )));
            crate::db::changes::tracking_writes(fan_out_loop(wh, db)).await;
        });
    }
}

/// Reads the outboxes after every commit heard (and every second).
async fn fan_out_loop(wh: Arc<Webhooks>, db: Db) {
    while let Err(e) = fanout::ensure_cursors(&db).await {
        tracing::warn!(error = ?e, "webhooks: cannot set up the fan-out; retrying");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    loop {
        let mut again = false;
        match fanout::fan_out(&wh, &db).await {
            Ok(more) => again = more,
            Err(e) => {
                tracing::warn!(error = ?e, "webhooks: the fan-out failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        if again {
            continue;
        }
        // Rows held back behind a transaction still running somewhere are
        // looked at again soon: their wake-up has been spent.
        let wait = if held_back(&db).await {
            Duration::from_millis(20)
        } else {
            Duration::from_secs(1)
        };
        tokio::select! {
            _ = wh.fanout_wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn held_back(db: &Db) -> bool {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let tables = [
        crate::live::feed::ORDER_EVENTS,
        crate::live::feed::STOCK_MOVEMENTS,
        crate::live::product_feed::PRODUCT_AUDIT,
    ];
    let Some(sql) = crate::db::sql::held_back_sql(backend, &tables) else {
        return false;
    };
    match db.query_one_raw(Statement::from_string(backend, sql)).await {
        Ok(Some(row)) => row.try_get::<bool>("", "held").unwrap_or(false),
        _ => false,
    }
}

/// Unix milliseconds of an instant.
pub fn millis(at: chrono::DateTime<chrono::Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn now_ms() -> i64 {
    millis(crate::domain::clock::now())
}
