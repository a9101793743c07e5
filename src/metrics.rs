//! Prometheus metrics, served as text on `GET /metrics`.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Deadlocks met in this process (`ocop_gateway_db_deadlocks_total`).
/// Every writer of several stock levels locks them in one order, so this
/// stays at 0; anything else is a lock-order bug, whether the victim was
/// retried or failed. A process-wide counter, as the error conversion that
/// meets a deadlock has no handle on the state.
pub static DEADLOCKS: std::sync::LazyLock<Counter> = std::sync::LazyLock::new(Default::default);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

/// An origin page's outcome: closed sets, never the code scanned.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OriginLabels {
    /// `html`, `linkset` or `qr`.
    pub format: &'static str,
    /// `shown`, `kept` (served from memory), `not_modified`, `invalid_gtin`,
    /// `unknown`, `unknown_lot`, `bad_request` or `rate_limited`.
    pub outcome: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// A webhook attempt's outcome: a closed set, never a URL.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    /// `delivered`, `retrying`, `failed` (retries used up), `gone` (410,
    /// endpoint disabled) or `superseded` (its lease ran out first).
    pub outcome: &'static str,
}

/// Webhooks: deliveries queued by the fan-out, attempts by outcome, how
/// long receivers take, and the delay from an event's commit to its 2xx.
#[derive(Clone)]
pub struct WebhookMetrics {
    queued: Counter,
    attempts: Family<AttemptLabels, Counter>,
    duration: Histogram,
    delay: Histogram,
}

impl WebhookMetrics {
    fn new() -> Self {
        Self {
            queued: Counter::default(),
            attempts: Family::default(),
            duration: latency_histogram(),
            delay: delay_histogram(),
        }
    }

    fn register(&self, registry: &mut Registry) {
        registry.register(
            "webhook_deliveries_queued",
            "Deliveries written by the fan-out (one per event and endpoint)",
            self.queued.clone(),
        );
        registry.register(
            "webhook_attempts",
            "Webhook attempts made by this replica, by outcome",
            self.attempts.clone(),
        );
        registry.register(
            "webhook_attempt_duration_seconds",
            "From sending a webhook to the receiver's status (or giving up)",
            self.duration.clone(),
        );
        registry.register(
            "webhook_delivery_delay_seconds",
            "From an event's transaction to the receiver's 2xx, per delivery",
            self.delay.clone(),
        );
    }

    pub fn queued(&self, n: usize) {
        self.queued.inc_by(n as u64);
    }

    pub fn attempt(&self, outcome: &'static str, took: Duration) {
        self.attempts
            .get_or_create(&AttemptLabels { outcome })
            .inc();
        self.duration.observe(took.as_secs_f64());
    }

    /// A 2xx for an event committed at `event_at_ms` (Unix ms).
    pub fn delivered(&self, event_at_ms: i64, now_ms: i64) {
        self.delay
            .observe((now_ms - event_at_ms).max(0) as f64 / 1e3);
    }
}

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<HttpLabels, Counter>,
    latency: HistogramFamily,
    graphql_errors: Family<CodeLabels, Counter>,
    origin_views: Family<OriginLabels, Counter>,
    pub live: LiveMetrics,
    pub webhooks: WebhookMetrics,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SubscriptionLabels {
    /// `orderEvents` or `stockChanged`: a closed set.
    pub subscription: &'static str,
}

/// Live events: subscribers, events sent, delay and resynchronisations.
#[derive(Clone)]
pub struct LiveMetrics {
    subscribers: Family<SubscriptionLabels, Gauge>,
    sockets: Gauge,
    events: Family<SubscriptionLabels, Counter>,
    delay: Family<SubscriptionLabels, Histogram, fn() -> Histogram>,
    resyncs: Counter,
}

fn delay_histogram() -> Histogram {
    // 1 ms .. ~32 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl LiveMetrics {
    fn new() -> Self {
        Self {
            subscribers: Family::default(),
            sockets: Gauge::default(),
            events: Family::default(),
            delay: Family::new_with_constructor(delay_histogram),
            resyncs: Counter::default(),
        }
    }

    fn register(&self, registry: &mut Registry) {
        registry.register(
            "subscriptions",
            "Live subscriptions by kind",
            self.subscribers.clone(),
        );
        registry.register(
            "websockets",
            "Open /graphql/ws connections",
            self.sockets.clone(),
        );
        registry.register(
            "subscription_events",
            "Events sent to subscribers",
            self.events.clone(),
        );
        registry.register(
            "subscription_delay_seconds",
            "From an event's transaction to its sending, per event sent (the lag)",
            self.delay.clone(),
        );
        registry.register(
            "subscription_resyncs",
            "Subscribers that fell behind the shared ring and re-read from the database",
            self.resyncs.clone(),
        );
    }

    pub fn subscribed(&self, subscription: &'static str, delta: i64) {
        self.subscribers
            .get_or_create(&SubscriptionLabels { subscription })
            .inc_by(delta);
    }

    pub fn socket(&self, delta: i64) {
        self.sockets.inc_by(delta);
    }

    pub fn sent(&self, subscription: &'static str, at: chrono::DateTime<chrono::Utc>) {
        let labels = SubscriptionLabels { subscription };
        self.events.get_or_create(&labels).inc();
        let delay = (chrono::Utc::now() - at).num_microseconds().unwrap_or(0) as f64 / 1e6;
        self.delay.get_or_create(&labels).observe(delay.max(0.0));
    }

    pub fn resynced(&self) {
        self.resyncs.inc();
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms .. ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ocop_gateway");
        let requests = Family::<HttpLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let graphql_errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "graphql_errors",
            "GraphQL errors by extensions.code",
            graphql_errors.clone(),
        );
        registry.register(
            "db_deadlocks",
            "PostgreSQL deadlocks met (stock is always locked in one order, so this stays 0)",
            DEADLOCKS.clone(),
        );
        let origin_views = Family::<OriginLabels, Counter>::default();
        registry.register(
            "origin_views",
            "Origin pages (QR stamp scans) by format and outcome",
            origin_views.clone(),
        );
        let live = LiveMetrics::new();
        live.register(&mut registry);
        let webhooks = WebhookMetrics::new();
        webhooks.register(&mut registry);
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
            graphql_errors,
            origin_views,
            live,
            webhooks,
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&HttpLabels {
                method: method.into(),
                route: route.into(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.into(),
            })
            .observe(elapsed.as_secs_f64());
    }

    pub fn observe_graphql_error(&self, code: &str) {
        self.graphql_errors
            .get_or_create(&CodeLabels { code: code.into() })
            .inc();
    }

    pub fn origin_view(&self, format: &'static str, outcome: &'static str) {
        self.origin_views
            .get_or_create(&OriginLabels { format, outcome })
            .inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            // Writing into a String cannot fail.
            let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        }
        out
    }
}
