//! Typed configuration, read once from flags and the environment. Secrets are
//! wrapped so that no `Debug`, log line or error message can print them.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

mod rules;
mod values;
mod webhooks;

pub use rules::ConfigError;
pub use values::*;
pub use webhooks::WebhookConfig;

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// `development` allows the built-in signing secret; `production` refuses it.
    #[arg(
        long,
        global = true,
        env = "OCOP_ENV",
        value_enum,
        default_value = "development"
    )]
    pub env: Environment,

    /// SQLite file (the default, created in the working directory) or postgres://...
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://ocop-gateway.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: Secret,

    #[arg(
        long,
        global = true,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub bind_addr: SocketAddr,

    /// Directory that keeps uploaded product images (created if missing).
    /// Every replica must see the same files (a shared volume).
    #[arg(long, global = true, env = "MEDIA_DIR", default_value = "media")]
    pub media_dir: std::path::PathBuf,

    /// Keeps product images in this S3-compatible bucket instead of
    /// `MEDIA_DIR`, so every replica shares them.
    #[arg(long, global = true, env = "MEDIA_S3_BUCKET")]
    pub media_s3_bucket: Option<String>,

    /// The bucket's endpoint, for S3-compatible stores (MinIO, R2, moto);
    /// AWS's own when unset. `http://` is allowed for a local store.
    #[arg(long, global = true, env = "MEDIA_S3_ENDPOINT")]
    pub media_s3_endpoint: Option<String>,

    #[arg(
        long,
        global = true,
        env = "MEDIA_S3_REGION",
        default_value = "us-east-1"
    )]
    pub media_s3_region: String,

    /// The bucket's keys; without them, the instance's role is used.
    #[arg(long, global = true, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub media_s3_access_key_id: Option<String>,

    #[arg(
        long,
        global = true,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub media_s3_secret_access_key: Option<Secret>,

    /// HS256 signing secret, at least 32 bytes. Required in production with HS256.
    #[arg(long, global = true, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Algorithm every token must be signed with; nothing else is accepted.
    #[arg(
        long,
        global = true,
        env = "JWT_ALGORITHM",
        value_enum,
        default_value = "HS256"
    )]
    pub jwt_algorithm: JwtAlgorithm,

    /// PEM public key for RS256, ES256 or EdDSA (tokens from an identity provider).
    #[arg(long, global = true, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,

    #[arg(
        long,
        global = true,
        env = "JWT_ISSUER",
        default_value = "ocop-gateway"
    )]
    pub jwt_issuer: String,

    #[arg(
        long,
        global = true,
        env = "JWT_AUDIENCE",
        default_value = "ocop-partners"
    )]
    pub jwt_audience: String,

    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(long, global = true, env = "JWT_LEEWAY_SECS", default_value_t = 5)]
    pub jwt_leeway_secs: u64,

    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, global = true, env = "MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Deepest selection nesting a query may have. 15 lets GraphiQL's (and
    /// code generators') standard introspection query through, whose type
    /// references nest 13 deep.
    #[arg(long, global = true, env = "MAX_QUERY_DEPTH", default_value_t = 15)]
    pub max_query_depth: usize,

    /// Lexical tokens a document may have (checked before it is parsed).
    #[arg(long, global = true, env = "MAX_QUERY_TOKENS", default_value_t = 2_000)]
    pub max_query_tokens: usize,

    /// Bytes a GraphQL document may have (measured before anything is
    /// parsed or kept; large values belong in variables).
    #[arg(
        long,
        global = true,
        env = "MAX_DOCUMENT_BYTES",
        default_value_t = 32 * 1024
    )]
    pub max_document_bytes: usize,

    /// Bytes one string literal in a document may have.
    #[arg(
        long,
        global = true,
        env = "MAX_STRING_LITERAL_BYTES",
        default_value_t = 8 * 1024
    )]
    pub max_string_literal_bytes: usize,

    /// Aliased fields a document may select, fragments expanded.
    #[arg(long, global = true, env = "MAX_QUERY_ALIASES", default_value_t = 30)]
    pub max_query_aliases: usize,

    /// Fields a document may select, fragments expanded (measured once per
    /// fragment, before validation).
    #[arg(long, global = true, env = "MAX_QUERY_FIELDS", default_value_t = 1_000)]
    pub max_query_fields: usize,

    /// Directives a document may carry.
    #[arg(
        long,
        global = true,
        env = "MAX_QUERY_DIRECTIVES",
        default_value_t = 50
    )]
    pub max_query_directives: usize,

    /// Mutations one request may run (root fields of a mutation).
    #[arg(
        long,
        global = true,
        env = "MAX_MUTATIONS_PER_REQUEST",
        default_value_t = 10
    )]
    pub max_mutations_per_request: usize,

    /// Highest cost a query may have (connections multiply by `first`).
    #[arg(
        long,
        global = true,
        env = "MAX_QUERY_COMPLEXITY",
        default_value_t = 5000
    )]
    pub max_query_complexity: usize,

    /// Most operations in one JSON-array batch.
    #[arg(long, global = true, env = "MAX_BATCH_SIZE", default_value_t = 5)]
    pub max_batch_size: usize,

    /// Largest `first`/`last` on a connection.
    #[arg(long, global = true, env = "MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u32,

    /// Requests per second each partner may make to this replica (0: no limit).
    #[arg(long, global = true, env = "RATE_LIMIT_RPS", default_value_t = 100)]
    pub rate_limit_rps: u32,

    /// Requests a partner may burst above its rate.
    #[arg(long, global = true, env = "RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,

    /// Query cost (complexity points) each partner may spend per second on
    /// this replica (0: no limit). A page of 50 products with producer and
    /// stock costs about 300.
    #[arg(
        long,
        global = true,
        env = "RATE_LIMIT_COST_PER_SEC",
        default_value_t = 20_000
    )]
    pub rate_limit_cost_per_sec: u32,

    /// Query cost a partner may burst above its rate (never below the
    /// complexity limit).
    #[arg(
        long,
        global = true,
        env = "RATE_LIMIT_COST_BURST",
        default_value_t = 40_000
    )]
    pub rate_limit_cost_burst: u32,

    /// How long a partner's record (status, scopes, limits) is cached; a
    /// suspension takes effect within this time. 0 reads it every request.
    #[arg(
        long,
        global = true,
        env = "PARTNER_CACHE_TTL_MS",
        default_value_t = 5_000
    )]
    pub partner_cache_ttl_ms: u64,

    /// `lowStock` is the same for every caller: each replica computes it
    /// at most once this often per set of arguments (0: every time).
    #[arg(long, global = true, env = "REPORT_CACHE_MS", default_value_t = 5_000)]
    pub report_cache_ms: u64,

    /// Live events: concurrent subscriptions per partner, over all its
    /// sockets on this replica.
    #[arg(
        long,
        global = true,
        env = "SUBSCRIPTIONS_PER_PARTNER",
        default_value_t = 100
    )]
    pub subscriptions_per_partner: usize,

    /// Live events: concurrent subscriptions per socket.
    #[arg(
        long,
        global = true,
        env = "SUBSCRIPTIONS_PER_SOCKET",
        default_value_t = 20
    )]
    pub subscriptions_per_socket: usize,

    /// WebSockets open but not yet initialised (no `connection_init`
    /// accepted), in all: each holds a file descriptor and memory before
    /// anyone is known.
    #[arg(long, global = true, env = "WS_MAX_PENDING", default_value_t = 256)]
    pub ws_max_pending: usize,

    /// Uninitialised WebSockets from one client address.
    #[arg(
        long,
        global = true,
        env = "WS_MAX_PENDING_PER_ADDRESS",
        default_value_t = 16
    )]
    pub ws_max_pending_per_address: usize,

    /// Initialised WebSockets one partner may hold open (idle or not).
    #[arg(
        long,
        global = true,
        env = "WS_MAX_SOCKETS_PER_PARTNER",
        default_value_t = 64
    )]
    pub ws_max_sockets_per_partner: usize,

    /// Live events: how many days back `orderEvents(since:)` replays.
    #[arg(long, global = true, env = "EVENTS_REPLAY_DAYS", default_value_t = 7)]
    pub events_replay_days: i64,

    /// Days of stock ledger kept row by row. Older rows of each product at
    /// each location are folded into one opening-balance row (the sums
    /// `check` rebuilds levels from are unchanged); 0 keeps every row.
    /// At least EVENTS_REPLAY_DAYS and 2 (the webhook retries' window).
    #[arg(
        long,
        global = true,
        env = "LEDGER_RETENTION_DAYS",
        default_value_t = 30
    )]
    pub ledger_retention_days: i64,

    /// Live events: how many events a subscriber may fall behind before
    /// its stream ends (it can resume with `since`).
    #[arg(
        long,
        global = true,
        env = "EVENTS_MAX_BEHIND",
        default_value_t = 10_000
    )]
    pub events_max_behind: usize,

    /// Live events: re-read the outboxes this often even without a
    /// wake-up (a lost NOTIFY costs at most this delay).
    #[arg(long, global = true, env = "EVENTS_POLL_MS", default_value_t = 1_000)]
    pub events_poll_ms: u64,

    /// `stockChanged.lowStock`: the reorder point of products without
    /// their own.
    #[arg(
        long,
        global = true,
        env = "DEFAULT_REORDER_POINT",
        default_value_t = 20
    )]
    pub default_reorder_point: i64,

    /// Most GraphQL requests this replica works on at once; beyond it a
    /// request is refused at once (503, RATE_LIMITED, Retry-After: 1) rather
    /// than queued without bound. 0: no limit.
    #[arg(long, global = true, env = "MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,

    /// Who may introspect the schema: `public`, `authenticated` or `off`.
    /// Default: `public` in development, `authenticated` in production.
    #[arg(long, global = true, env = "INTROSPECTION", value_enum)]
    pub introspection: Option<Introspection>,

    /// Requests per second without a token, per client address (they can
    /// only introspect). 0: no limit.
    #[arg(long, global = true, env = "ANON_RATE_LIMIT_RPS", default_value_t = 2)]
    pub anon_rate_limit_rps: u32,

    /// Burst of requests without a token, per client address.
    #[arg(
        long,
        global = true,
        env = "ANON_RATE_LIMIT_BURST",
        default_value_t = 10
    )]
    pub anon_rate_limit_burst: u32,

    /// Highest cost of a request without a token (GraphiQL's introspection
    /// query costs about 200).
    #[arg(
        long,
        global = true,
        env = "ANON_MAX_COMPLEXITY",
        default_value_t = 500
    )]
    pub anon_max_complexity: usize,

    /// Documents kept parsed and validated, and persisted queries kept,
    /// per replica (each a bounded least-recently-used cache).
    #[arg(
        long,
        global = true,
        env = "DOCUMENT_CACHE_ENTRIES",
        default_value_t = 2_000
    )]
    pub document_cache_entries: usize,

    /// Bytes the kept documents may take in all (parsed documents counted
    /// at ten times their text, persisted texts at their length).
    #[arg(
        long,
        global = true,
        env = "DOCUMENT_CACHE_BYTES",
        default_value_t = 24 * 1024 * 1024
    )]
    pub document_cache_bytes: usize,

    /// Queries' answers kept per replica until the next commit (0: none).
    #[arg(
        long,
        global = true,
        env = "RESPONSE_CACHE_ENTRIES",
        default_value_t = 2_000
    )]
    pub response_cache_entries: usize,

    /// Bytes the kept answers may take in all.
    #[arg(
        long,
        global = true,
        env = "RESPONSE_CACHE_BYTES",
        default_value_t = 48 * 1024 * 1024
    )]
    pub response_cache_bytes: usize,

    /// `Cache-Control: private, max-age=N` on a GET query's answer; an
    /// unchanged poll revalidates with `If-None-Match` and gets a 304.
    #[arg(
        long,
        global = true,
        env = "HTTP_CACHE_MAX_AGE_SECS",
        default_value_t = 5
    )]
    pub http_cache_max_age_secs: u32,

    /// Requests without a token worked on at once, out of `MAX_IN_FLIGHT`:
    /// they never take partners' slots beyond this.
    #[arg(long, global = true, env = "ANON_MAX_IN_FLIGHT", default_value_t = 8)]
    pub anon_max_in_flight: usize,

    /// Serve `/metrics` on this separate address only (e.g. an internal
    /// interface the balancer does not route to), instead of on
    /// `BIND_ADDR` next to the API. `/metrics` has no authentication.
    #[arg(long, global = true, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Mount `/floor/stock/{id}`, the load benchmark's bare-SQL baseline
    /// (no GraphQL, no auth). Refused in production.
    #[arg(long, global = true, env = "BENCH_FLOOR", default_value_t = false)]
    pub bench_floor: bool,

    /// Runs the gateway's clock this many days ahead (or behind, negative),
    /// to see what lapses: certificates, contracts, delivery dates.
    /// Development only; refused in production.
    #[arg(
        long,
        global = true,
        env = "OCOP_CLOCK_OFFSET_DAYS",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    pub clock_offset_days: i64,

    /// SQLite durability: `full` (default; acknowledged writes survive
    /// power loss) or `normal` (they survive a killed process only).
    #[arg(
        long,
        global = true,
        env = "SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "full"
    )]
    pub sqlite_synchronous: SqliteSync,

    /// Connections in the database pool.
    #[arg(long, global = true, env = "DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Longest a single SQL statement may run on PostgreSQL, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub db_statement_timeout_ms: u64,

    /// Longest a request may take end to end, in milliseconds.
    #[arg(
        long,
        global = true,
        env = "REQUEST_TIMEOUT_MS",
        default_value_t = 15_000
    )]
    pub request_timeout_ms: u64,

    /// The public address of the origin pages, as QR stamps carry it
    /// (`https://ocop.example.vn`). Development: `http://BIND_ADDR`.
    /// Unset outside development: no `digitalLink` and no QR code, since a
    /// printed stamp must never carry an address that is not the real one.
    #[arg(long, global = true, env = "PUBLIC_BASE_URL")]
    pub public_base_url: Option<String>,

    /// Proxies (addresses or CIDR blocks, comma-separated) whose
    /// `X-Forwarded-For` names the client; none by default, so a client
    /// cannot choose the address it is metered by.
    #[arg(long, global = true, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<Cidr>,

    /// Origin pages per second per client address (a supermarket's shoppers
    /// may share one). 0: no limit.
    #[arg(
        long,
        global = true,
        env = "ORIGIN_RATE_LIMIT_RPS",
        default_value_t = 20
    )]
    pub origin_rate_limit_rps: u32,

    /// Burst of origin pages per client address.
    #[arg(
        long,
        global = true,
        env = "ORIGIN_RATE_LIMIT_BURST",
        default_value_t = 60
    )]
    pub origin_rate_limit_burst: u32,

    /// How long a CDN or a phone may keep an origin page, in seconds; never
    /// past the next local midnight, when a certificate may lapse.
    #[arg(
        long,
        global = true,
        env = "ORIGIN_MAX_AGE_SECS",
        default_value_t = 300
    )]
    pub origin_max_age_secs: u32,

    #[command(flatten)]
    pub webhooks: WebhookConfig,

    #[arg(
        long,
        global = true,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}
