//! The state every handler shares: database, configuration, verifier,
//! schema, limiters and caches. Built once by `serve` (and by tests).

use std::sync::Arc;

use crate::db::Db;

use crate::auth::Authenticator;
use crate::config::Config;
use crate::graphql::{GatewaySchema, SchemaLimits};
use crate::metrics::Metrics;
use crate::{config, domain, graphql, partner_cache, rate_limit};

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

pub struct AppInner {
    pub db: Db,
    pub config: Config,
    pub auth: Arc<Authenticator>,
    pub schema: GatewaySchema,
    /// The checker, kept documents and document limits (`graphql::admit`).
    pub admission: graphql::admit::Admission,
    /// Queries' answers, kept until the next commit (`http::cache`).
    pub responses: crate::http::cache::Responses,
    pub metrics: Metrics,
    pub limiter: rate_limit::PartnerLimiter,
    pub partners: Arc<partner_cache::PartnerCache>,
    pub locations: Arc<domain::locations::LocationDirectory>,
    /// Requests without a token, per client address.
    pub anonymous: rate_limit::AddressLimiter,
    /// Permits for requests without a token (see `ANON_MAX_IN_FLIGHT`).
    pub anon_in_flight: Arc<tokio::sync::Semaphore>,
    /// Permits for requests in flight (see `MAX_IN_FLIGHT`).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Where product images are kept (`media`).
    pub media: crate::media::MediaStore,
    /// Bounds on WebSockets (uninitialised, per address, per partner).
    pub sockets: Arc<crate::http::ws_limits::SocketLimits>,
    /// Live events' dispatcher (started by the first subscription).
    pub live: Arc<crate::live::hub::Hub>,
    /// Where origin pages are served from (`Config::public_base`).
    pub public_base: Option<Arc<str>>,
    /// Origin pages, per client address.
    pub origin_limiter: rate_limit::AddressLimiter,
    /// Webhooks (`crate::webhooks`); none in production without a key.
    pub webhooks: Option<Arc<crate::webhooks::Webhooks>>,
}

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, db: Db) -> Result<Self, config::ConfigError> {
        if config.bench_floor && config.env == config::Environment::Production {
            return Err(config::ConfigError::BenchFloorInProduction);
        }
        if config.clock_offset_days != 0 && config.env == config::Environment::Production {
            return Err(config::ConfigError::ClockOffsetInProduction);
        }
        let auth = Arc::new(Authenticator::from_config(&config)?);
        let limits = SchemaLimits {
            max_depth: config.max_query_depth,
            max_complexity: config.max_query_complexity,
            introspection: config.introspection() != config::Introspection::Off,
            report_cache: std::time::Duration::from_millis(config.report_cache_ms),
        };
        let schema = graphql::build_schema(limits);
        let checker = graphql::build_checker(limits);
        let documents = graphql::documents::Documents::new(
            config.document_cache_entries,
            config.document_cache_bytes,
        );
        let responses = crate::http::cache::Responses::new(
            config.response_cache_entries,
            config.response_cache_bytes,
        );
        let anonymous = rate_limit::AddressLimiter::new(
            config.anon_rate_limit_rps,
            config.anon_rate_limit_burst,
        );
        let anon_in_flight = Arc::new(tokio::sync::Semaphore::new(
            config.anon_max_in_flight.max(1),
        ));
        let limiter = rate_limit::PartnerLimiter::new(
            rate_limit::Limits {
                requests_per_sec: config.rate_limit_rps,
                request_burst: config.rate_limit_burst,
                cost_per_sec: config.rate_limit_cost_per_sec,
                cost_burst: config.rate_limit_cost_burst,
            },
            config.max_query_complexity,
        );
        let in_flight = Arc::new(tokio::sync::Semaphore::new(match config.max_in_flight {
            0 => tokio::sync::Semaphore::MAX_PERMITS,
            n => n,
        }));
        let partners = Arc::new(partner_cache::PartnerCache::new(
            std::time::Duration::from_millis(
                // A suspension or revocation must reach every replica within 5 s.
                config.partner_cache_ttl_ms.min(MAX_PARTNER_CACHE_MS),
            ),
            db.changes().clone(),
        ));
        let document_limits = graphql::measure::DocumentLimits {
            max_tokens: config.max_query_tokens,
            max_bytes: config.max_document_bytes,
            max_string_bytes: config.max_string_literal_bytes,
            max_aliases: config.max_query_aliases,
            max_fields: config.max_query_fields,
            max_directives: config.max_query_directives,
            max_mutation_fields: config.max_mutations_per_request,
        };
        let metrics = Metrics::default();
        let live = crate::live::hub::Hub::new(
            db.clone(),
            config.database_url.expose(),
            crate::live::hub::LiveLimits {
                per_partner: config.subscriptions_per_partner,
                per_socket: config.subscriptions_per_socket,
                replay_days: config.events_replay_days,
                max_behind: config.events_max_behind,
                default_reorder_point: config.default_reorder_point,
                poll: std::time::Duration::from_millis(config.events_poll_ms.max(10)),
                ring: 256,
            },
            metrics.live.clone(),
        );
        let webhooks = crate::webhooks::Webhooks::from_config(&config, metrics.webhooks.clone())?;
        if tokio::runtime::Handle::try_current().is_ok() {
            if let Some(wh) = &webhooks
                && config.webhooks.webhook_delivery
            {
                live.also_wake(wh.fanout_wake.clone());
                wh.start(
                    config.database_url.expose().to_owned(),
                    db.changes().clone(),
                );
            }
            live.start_wakes();
            crate::domain::inventory::compact::start(db.clone(), config.ledger_retention_days);
            // An access change announced by any replica applies to the
            // next request at once, not when the cached record expires.
            let (mut heard, cache) = (db.partner_access().heard.subscribe(), partners.clone());
            tokio::spawn(async move {
                loop {
                    match heard.recv().await {
                        Ok(id) => cache.forget(id),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => cache.forget(0),
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        }
        let locations = Arc::new(domain::locations::LocationDirectory::new(
            std::time::Duration::from_secs(60),
            db.changes().clone(),
        ));
        let media =
            crate::media::MediaStore::configured(&config).map_err(config::ConfigError::Media)?;
        let public_base = config.public_base()?.map(Arc::from);
        let origin_limiter = rate_limit::AddressLimiter::new(
            config.origin_rate_limit_rps,
            config.origin_rate_limit_burst,
        );
        Ok(Self(Arc::new(AppInner {
            webhooks,
            media,
            public_base,
            origin_limiter,
            sockets: crate::http::ws_limits::SocketLimits::new(
                config.ws_max_pending,
                config.ws_max_pending_per_address,
                config.ws_max_sockets_per_partner,
            ),
            live,
            db,
            config,
            auth,
            schema,
            admission: graphql::admit::Admission {
                checker,
                documents,
                limits: document_limits,
            },
            responses,
            metrics,
            limiter,
            partners,
            in_flight,
            anonymous,
            anon_in_flight,
            locations,
        })))
    }
}

/// Longest a partner's record may be cached, whatever `PARTNER_CACHE_TTL_MS`
/// says: a suspension or revocation applies within this on every replica.
pub const MAX_PARTNER_CACHE_MS: u64 = 5_000;
