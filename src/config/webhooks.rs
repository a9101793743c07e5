//! The webhook flags (`WEBHOOK_*`), a group of their own.

use std::time::Duration;

use clap::Args;

use super::Secret;

fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

#[derive(Args, Clone, Debug)]
pub struct WebhookConfig {
    /// 32 bytes, base64 or 64 hex digits: the key endpoint secrets are
    /// sealed with at rest. Required in production; keep it as you keep
    /// JWT_SECRET (losing it means re-issuing every endpoint's secret).
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_SECRET_KEY",
        hide_env_values = true
    )]
    pub webhook_secret_key: Option<Secret>,

    /// Allows targets on loopback, private and link-local addresses (tests,
    /// private networks). Unset: allowed in development only (a receiver on
    /// the developer's machine); elsewhere only public addresses are called.
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        action = clap::ArgAction::Set
    )]
    pub webhook_allow_private_targets: Option<bool>,

    /// An endpoint failing for longer than this is disabled (and says why).
    #[arg(long, global = true, env = "WEBHOOK_DISABLE_AFTER", default_value = "5d", value_parser = duration)]
    pub webhook_disable_after: Duration,

    /// How long one attempt may take, connecting included.
    #[arg(long, global = true, env = "WEBHOOK_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub webhook_timeout: Duration,

    /// The waits before each retry (comma-separated; each gets ±20 %
    /// jitter); after the last, FAILED. The default spans 27 hours.
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_RETRY_SCHEDULE",
        value_delimiter = ',',
        value_parser = duration,
        default_value = "5s,30s,2m,10m,30m,1h,2h,4h,6h,6h,8h"
    )]
    pub webhook_retry_schedule: Vec<Duration>,

    /// Endpoints a partner may register.
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_MAX_ENDPOINTS",
        default_value_t = 10
    )]
    pub webhook_max_endpoints: u32,

    /// Attempts in flight per replica, in all / per endpoint.
    #[arg(long, global = true, env = "WEBHOOK_CONCURRENCY", default_value_t = 64)]
    pub webhook_concurrency: u32,
    #[arg(
        long,
        global = true,
        env = "WEBHOOK_CONCURRENCY_PER_ENDPOINT",
        default_value_t = 4
    )]
    pub webhook_concurrency_per_endpoint: u32,

    /// How long the delivery log is kept (then pruned).
    #[arg(long, global = true, env = "WEBHOOK_LOG_RETENTION", default_value = "30d", value_parser = duration)]
    pub webhook_log_retention: Duration,

    /// Whether this replica delivers (every replica may: each attempt is
    /// leased to one).
    #[arg(long, global = true, env = "WEBHOOK_DELIVERY", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_delivery: bool,
}
