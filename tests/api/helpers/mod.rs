//! Test harness. Each test gets its own database, copied from a template
//! that is migrated and seeded once per test process: a file copy on SQLite,
//! `CREATE DATABASE ... TEMPLATE` on PostgreSQL. Tests therefore run in
//! parallel and never share state.

#![allow(dead_code)]

mod catalog;
mod orders;
pub mod receiver;
pub mod servers;
pub use catalog::*;
pub use orders::*;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use ocop_gateway::config::{Config, Secret};
use ocop_gateway::{AppState, auth::ScopeSet, build_app, db, seed};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const TEST_SECRET: &str = "test-secret-for-the-ocop-gateway-suite-0123456789";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backend the whole suite runs on. Any value other than `sqlite` or
/// `postgres` is a mistake that must not pass as a quiet SQLite run.
pub fn backend() -> Backend {
    match std::env::var("OCOP_TEST_BACKEND").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("sqlite") => Backend::Sqlite,
        Ok("postgres") => Backend::Postgres,
        Ok(other) => panic!("OCOP_TEST_BACKEND must be `sqlite` or `postgres`, not `{other}`"),
        Err(err) => panic!("OCOP_TEST_BACKEND: {err}"),
    }
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn pg_url_for(database: &str) -> String {
    let admin = pg_admin_url();
    let base = admin.split('?').next().unwrap_or(&admin);
    match base.rfind('/') {
        Some(i) => format!("{}/{database}", &base[..i]),
        None => format!("{base}/{database}"),
    }
}

/// For tests that need PostgreSQL whatever the suite's backend: the admin
/// URL, or None (with the reason printed) when no server is reachable
/// outside CI. In CI a missing PostgreSQL fails the test.
/// Reports a test that does not apply to this run as skipped, with why,
/// past the harness's capture (a bare `return` would read as a pass).
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
}

pub async fn postgres_or_skip(test: &str) -> Option<String> {
    let url = pg_admin_url();
    match db::connect_url(&url, 1, 5_000).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Some(url)
        }
        Err(err) => {
            if in_ci() || backend() == Backend::Postgres {
                panic!("PostgreSQL is required but unreachable at {url}: {err}");
            }
            // Written past the harness's capture, so the skip is seen in
            // the test run's output, not only when a test fails.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP {test}: no PostgreSQL reachable at {url} ({err})"
            );
            None
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_suffix() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs `f` on a fresh runtime in its own thread: templates are built once
/// per process, outside any one test's runtime (whose pools die with it).
fn block_on_own_runtime<T: Send + 'static>(
    f: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("test runtime")
            .block_on(f)
    })
    .join()
    .expect("template thread panicked")
}

static SQLITE_TEMPLATE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();

fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("template.db");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            block_on_own_runtime(async move {
                let conn = db::connect_url(&url, 1, 5_000).await.expect("template db");
                db::migrate(&conn).await.expect("migrate template");
                seed::seed_demo(&conn).await.expect("seed template");
                conn.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .expect("checkpoint");
                conn.close().await.expect("close template");
            });
            (dir, path)
        })
        .1
        .clone()
}

static PG_TEMPLATE: OnceLock<String> = OnceLock::new();

fn pg_template() -> String {
    PG_TEMPLATE
        .get_or_init(|| {
            let name = format!("ocop_tpl_{}", std::process::id());
            let template = name.clone();
            block_on_own_runtime(async move {
                let admin = db::connect_url(&pg_admin_url(), 1, 60_000)
                    .await
                    .expect("PostgreSQL admin connection (set TEST_DATABASE_URL)");
                drop_stale_databases(&admin).await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{template}\""))
                    .await
                    .expect("drop old template");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{template}\""))
                    .await
                    .expect("create template");
                let conn = db::connect_url(&pg_url_for(&template), 1, 60_000)
                    .await
                    .expect("template db");
                db::migrate(&conn).await.expect("migrate template");
                seed::seed_demo(&conn).await.expect("seed template");
                conn.close().await.expect("close template");
                admin.close().await.expect("close admin");
            });
            name
        })
        .clone()
}

/// Drops databases left by earlier test processes that are no longer alive.
async fn drop_stale_databases(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'ocop_t%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name
            .trim_start_matches("ocop_tpl_")
            .trim_start_matches("ocop_t_")
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// A fresh, migrated and seeded database of the suite's backend. Returns its
/// URL and, for SQLite, the directory that must outlive the test.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match backend() {
        Backend::Sqlite => {
            let template = sqlite_template();
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("test.db");
            std::fs::copy(&template, &path).expect("copy template");
            (format!("sqlite://{}?mode=rwc", path.display()), Some(dir))
        }
        Backend::Postgres => {
            let template = pg_template();
            let name = format!("ocop_t_{}", unique_suffix());
            let admin = db::connect_url(&pg_admin_url(), 1, 60_000)
                .await
                .expect("admin connection");
            let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
            let mut attempt = 0;
            loop {
                match admin.execute_unprepared(&sql).await {
                    Ok(_) => break,
                    // Concurrent copies of one template can collide briefly.
                    Err(err) if attempt < 20 => {
                        attempt += 1;
                        eprintln!("retrying CREATE DATABASE: {err}");
                        tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                    }
                    Err(err) => panic!("cannot create test database: {err}"),
                }
            }
            let _ = admin.close().await;
            (pg_url_for(&name), None)
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::development();
    config.database_url = Secret::new(database_url);
    config.jwt_secret = Some(Secret::new(TEST_SECRET));
    config.db_max_connections = 8;
    // Tests send hundreds of requests a second as one partner; the rate
    // limits have their own tests.
    config.rate_limit_rps = 0;
    config.rate_limit_cost_per_sec = 0;
    // Reports must show each test's changes at once; the cache has its own test.
    config.report_cache_ms = 0;
    // Tests count the statements a query runs, so each must run: kept
    // answers have their own tests (over_http.rs).
    config.response_cache_entries = 0;
    // Stamps carry a fixed address; the origin pages' meter has its own test.
    config.public_base_url = Some("https://ocop.test".into());
    config.origin_rate_limit_rps = 0;
    // Webhook delivery runs only in the tests that want it (tests/api/webhooks.rs):
    // its own pool would otherwise poll every test's database.
    config.webhooks.webhook_delivery = false;
    // Each test's uploads in a directory of its own.
    static MEDIA: AtomicUsize = AtomicUsize::new(0);
    config.media_dir = std::env::temp_dir().join(format!(
        "ocop-media-{}-{}",
        std::process::id(),
        MEDIA.fetch_add(1, Ordering::Relaxed)
    ));
    config
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub db: DatabaseConnection,
    /// SQL statements the app has run since the last `reset_statements`.
    pub statements: Arc<AtomicUsize>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub struct GqlResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl GqlResponse {
    /// `extensions.code` of the first error, if any.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errs| {
                errs.iter()
                    .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    /// The data, asserting there were no errors.
    pub fn expect_data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            serde_json::to_string_pretty(&self.body).unwrap_or_default()
        );
        &self.body["data"]
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> Self {
        ocop_gateway::outbound::install_crypto();
        let (url, dir) = fresh_database().await;
        let mut config = test_config(&url);
        adjust(&mut config);
        let url = url.clone();
        let mut conn = db::connect(&config).await.expect("connect test database");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        // OCOP_TEST_SQL=1 prints each statement, to see what a count counts.
        let print = std::env::var("OCOP_TEST_SQL").is_ok_and(|v| v == "1");
        conn.observe_statements(move |sql| {
            counter.fetch_add(1, Ordering::SeqCst);
            if print {
                eprintln!("SQL {sql}");
            }
        });
        let state = AppState::new(config, conn.clone()).expect("app state");
        let router = build_app(state.clone());
        Self {
            router,
            state,
            db: conn.conn().clone(),
            statements,
            url,
            _dir: dir,
        }
    }

    /// A second gateway on the same database with its own connection pool,
    /// as another replica would be.
    pub async fn replica(&self) -> axum::Router {
        self.replica_with(|_| {}).await
    }

    /// A replica with its configuration adjusted (a clock run ahead).
    pub async fn replica_with(&self, adjust: impl FnOnce(&mut Config)) -> axum::Router {
        let mut config = self.state.config.clone();
        adjust(&mut config);
        let conn = db::connect(&config).await.expect("connect replica");
        build_app(AppState::new(config, conn).expect("replica state"))
    }

    /// Serves the app on a random local port (for WebSockets, which need
    /// a real connection), until the test ends.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Waits until this replica follows the commits of every replica (on
    /// PostgreSQL its listener is up), before which it keeps no answer.
    pub async fn listening(&self) {
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.state.db.changes().until_known(),
        )
        .await
        .expect("the replica never started listening");
    }

    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    pub fn token(&self, partner: &str, scopes: &str) -> String {
        self.state
            .auth
            .mint(partner, &ScopeSet::parse(scopes), Duration::from_secs(600))
            .expect("mint token")
    }

    /// POSTs a raw body to /graphql with optional extra headers.
    pub async fn post_raw(&self, body: impl Into<Body>, headers: &[(&str, &str)]) -> GqlResponse {
        let mut builder = Request::post("/graphql").header("content-type", "application/json");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        self.send(builder.body(body.into()).expect("request")).await
    }

    /// Sends any request to the router; a body that is not JSON is kept as
    /// a string.
    pub async fn send(&self, request: Request<Body>) -> GqlResponse {
        send_to(&self.router, request).await
    }

    /// The id of the first location (by code).
    pub async fn a_location(&self) -> Value {
        self.gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ locations { id } }",
            json!({}),
        )
        .await
        .expect_data()["locations"][0]["id"]
            .clone()
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> GqlResponse {
        gql_on(&self.router, token, query, variables).await
    }

    /// Runs a query as `partner` holding `scopes`.
    pub async fn gql_as(
        &self,
        partner: &str,
        scopes: &str,
        query: &str,
        variables: Value,
    ) -> GqlResponse {
        let token = self.token(partner, scopes);
        self.gql(Some(&token), query, variables).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        self.get_with(path, &[]).await
    }

    /// A GET's status, headers and body bytes (for files).
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let request = Request::get(path).body(Body::empty()).expect("request");
        let (status, headers, bytes) = raw_send(&self.router, request).await;
        (status, headers, bytes.to_vec())
    }

    pub async fn get_accepting(
        &self,
        path: &str,
        accept: &str,
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        self.get_with(path, &[("accept", accept)]).await
    }

    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).expect("request");
        let (status, headers, bytes) = raw_send(&self.router, request).await;
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    pub async fn exec(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect("test SQL");
    }

    /// One integer from `sql` (cast, as PostgreSQL's SUM of bigint is numeric).
    pub async fn scalar_i64(&self, sql: &str) -> i64 {
        let sql = format!("SELECT CAST(({sql}) AS BIGINT)");
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql))
            .await
            .expect("query")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("i64 column")
    }
}

pub const ALL_RETAIL_SCOPES: &str =
    "catalog:read inventory:read orders:read orders:write reports:read";
pub const OPERATOR_SCOPES: &str = "catalog:read catalog:write inventory:read inventory:write orders:read orders:write fulfillment:write reports:read partners:admin webhooks:manage";

/// Sends one GraphQL request into any router (a replica, or from a task).
pub async fn gql_on(
    router: &Router,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> GqlResponse {
    let mut builder = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    send_to(router, builder.body(Body::from(body)).expect("request")).await
}

/// Sends any request into `router`; a body that is not JSON is kept as a
/// string.
pub async fn send_to(router: &Router, request: Request<Body>) -> GqlResponse {
    let (status, headers, bytes) = raw_send(router, request).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    GqlResponse {
        status,
        headers,
        body,
    }
}

/// Status, headers and body bytes of any request into `router`.
pub async fn raw_send(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("router never fails");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .expect("read body");
    (status, headers, bytes)
}

/// The global id of the partner `code` (read as the operator).
pub async fn partner_id(app: &TestApp, code: &str) -> Value {
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "{ partners(first: 100) { nodes { id code } } }",
        json!({}),
    )
    .await
    .expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == code))
        .map(|p| p["id"].clone())
        .expect("partner")
}
