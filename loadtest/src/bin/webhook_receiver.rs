//! A fast webhook receiver for the webhook benchmark. Listens on
//! `OCOP_RECEIVER_ADDR`; answers `POST /e/{n}` at once with 204 and records
//! the delay from each payload's `timestamp` (its event's transaction
//! time) to its arrival, and each `webhook-id` it has seen per endpoint (a
//! second arrival is a duplicate). `POST /dead/{n}` never answers: a dead
//! endpoint the gateway's timeout has to give up on. `GET /summary`
//! returns the counts and the delay's percentiles as one JSON line;
//! `POST /reset` starts over.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// 1 ms buckets up to 60 s (the last one holds everything slower).
const BUCKETS: usize = 60_000;

struct Stats {
    delay_ms: Vec<u64>,
    seen: HashSet<(u32, String)>,
    deliveries: u64,
    duplicates: u64,
    unreadable: u64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl Stats {
    fn new() -> Self {
        Self {
            delay_ms: vec![0; BUCKETS],
            seen: HashSet::new(),
            deliveries: 0,
            duplicates: 0,
            unreadable: 0,
            first_ms: None,
            last_ms: None,
        }
    }

    fn percentile(&self, q: f64) -> usize {
        let total: u64 = self.delay_ms.iter().sum();
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (ms, n) in self.delay_ms.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ms;
            }
        }
        BUCKETS
    }

    fn summary(&self) -> Value {
        json!({
            "deliveries": self.deliveries,
            "distinct": self.seen.len(),
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
            "p50_ms": self.percentile(0.50),
            "p95_ms": self.percentile(0.95),
            "p99_ms": self.percentile(0.99),
            "max_ms": self.percentile(1.0),
            "span_s": match (self.first_ms, self.last_ms) {
                (Some(a), Some(b)) => (b - a) as f64 / 1000.0,
                _ => 0.0,
            },
        })
    }
}

type Shared = Arc<Mutex<Stats>>;

fn event_time_ms(body: &[u8]) -> Option<i64> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(v.get("timestamp")?.as_str()?).ok()?;
    Some(at.timestamp_millis())
}

async fn receive(
    State(stats): State<Shared>,
    Path(n): Path<u32>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = chrono::Utc::now().timestamp_millis();
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let at = event_time_ms(&body);
    let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
    s.deliveries += 1;
    s.first_ms.get_or_insert(now);
    s.last_ms = Some(now);
    if !s.seen.insert((n, id)) {
        s.duplicates += 1;
    }
    match at {
        Some(at) => {
            let ms = (now - at).clamp(0, BUCKETS as i64 - 1) as usize;
            s.delay_ms[ms] += 1;
        }
        None => s.unreadable += 1,
    }
    StatusCode::NO_CONTENT
}

async fn dead() -> StatusCode {
    tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::var("OCOP_RECEIVER_ADDR").unwrap_or_else(|_| "127.0.0.1:18090".into());
    let stats: Shared = Arc::new(Mutex::new(Stats::new()));
    let app = Router::new()
        .route("/e/{n}", post(receive))
        .route("/dead/{n}", post(dead))
        .route(
            "/summary",
            get(|State(s): State<Shared>| async move {
                s.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .summary()
                    .to_string()
            }),
        )
        .route(
            "/reset",
            post(|State(s): State<Shared>| async move {
                *s.lock().unwrap_or_else(|p| p.into_inner()) = Stats::new();
                StatusCode::NO_CONTENT
            }),
        )
        .with_state(stats);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
