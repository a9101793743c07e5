//! The `ocop-gateway` command line: `serve` (default), `migrate`, `seed`,
//! `schema` and `token`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use jsonwebtoken::EncodingKey;

use crate::auth::{self, ScopeSet};
use crate::config::{Config, Environment, JwtAlgorithm};
use crate::{AppState, build_app, db, graphql, seed, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "ocop-gateway",
    version,
    about = "GraphQL gateway to Vietnam's OCOP catalogue for retail-chain partners"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate, load the demo data into an empty database, and serve (default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo catalogue (idempotent) and, with --scale, a
    /// deterministic synthetic dataset for load tests; then exit.
    Seed {
        /// demo: the 66-product catalogue; city: ~1,600 products, 10,000
        /// orders; national: ~16,000 products, 1.9 million stock rows,
        /// 200,000 orders.
        #[arg(long, value_enum, default_value = "demo")]
        scale: seed::scale::Scale,
    },
    /// Print the GraphQL SDL (what `schema.graphql` holds).
    Schema,
    /// Rebuild stock levels from the ledger and open orders and compare;
    /// exits non-zero on any mismatch.
    Check,
    /// Mint a partner token and print it (only the token) on stdout.
    Token {
        /// Partner code, the token's `sub` (e.g. aeon-vn).
        #[arg(long)]
        partner: String,
        /// Comma-separated scopes, e.g. catalog:read,orders:write.
        #[arg(long, default_value = "catalog:read,inventory:read")]
        scopes: String,
        /// Lifetime, e.g. 15m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        /// PEM private key for RS256/ES256/EdDSA deployments (HS256 uses JWT_SECRET).
        #[arg(long)]
        signing_key_file: Option<PathBuf>,
    },
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

pub async fn run(cli: Cli) -> CliResult {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            telemetry::init(config.log_format);
            let db = db::connect_admin(&config).await?;
            migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed { scale } => {
            telemetry::init(config.log_format);
            let db = db::connect_admin(&config).await?;
            migrate(&db).await?;
            let report = seed::seed_demo(&db).await?;
            tracing::info!(?report, "demo data loaded");
            if let Some(sizes) = scale.sizes() {
                let report = seed::scale::seed_scale(&db, sizes).await?;
                if report.skipped {
                    tracing::info!("synthetic data already present; nothing to do");
                } else {
                    tracing::info!(?report, "synthetic data loaded");
                }
            }
            Ok(())
        }
        Command::Check => {
            let db = db::connect_admin(&config).await?;
            let mismatches = crate::domain::inventory::check_invariants(db.conn())
                .await
                .map_err(|e| format!("check failed: {e:?}"))?;
            let rollups = crate::domain::rollup::verify(db.conn())
                .await
                .map_err(|e| format!("check failed: {e:?}"))?;
            if mismatches.is_empty() && rollups.is_empty() {
                println!("ok: stock levels agree with the ledger and with open orders");
                println!("ok: report rollups agree with the orders");
                return Ok(());
            }
            for m in &mismatches {
                println!(
                    "MISMATCH product={} location={} {}: stored {} expected {}",
                    m.product_id, m.location_id, m.what, m.stored, m.expected
                );
            }
            for m in &rollups {
                println!("MISMATCH {} {}: {}", m.table, m.side, m.row);
            }
            Err(format!(
                "{} invariant violation(s)",
                mismatches.len() + rollups.len()
            )
            .into())
        }
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Token {
            partner,
            scopes,
            ttl,
            signing_key_file,
        } => {
            let scopes = ScopeSet::parse_strict(&scopes)?;
            let token = match signing_key_file {
                None => auth::Authenticator::from_config(&config)?.mint(&partner, &scopes, ttl)?,
                Some(path) => {
                    let pem = std::fs::read(&path)?;
                    let key = match config.jwt_algorithm {
                        JwtAlgorithm::Hs256 => {
                            return Err("--signing-key-file is for RS256, ES256 or EdDSA".into());
                        }
                        JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(&pem)?,
                        JwtAlgorithm::Es256 => EncodingKey::from_ec_pem(&pem)?,
                        JwtAlgorithm::EdDsa => EncodingKey::from_ed_pem(&pem)?,
                    };
                    auth::mint_with(
                        &key,
                        auth::algorithm_of(config.jwt_algorithm),
                        &config.jwt_issuer,
                        &config.jwt_audience,
                        &partner,
                        &scopes,
                        ttl,
                    )?
                }
            };
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(config: Config) -> CliResult {
    telemetry::init(config.log_format);
    config.check_serving()?;
    if config.jwt_secret.is_none() && config.jwt_algorithm == JwtAlgorithm::Hs256 {
        tracing::warn!(
            "JWT_SECRET is not set: using the DEVELOPMENT signing secret (refused when OCOP_ENV=production)"
        );
    }
    raise_file_limit();
    prepare_database(&config).await?;
    let db = db::connect(&config).await?;
    let (bind, metrics_addr) = (config.bind_addr, config.metrics_addr);
    let state = AppState::new(config, db)?;
    if let Some(addr) = metrics_addr {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!("serving /metrics on http://{}", listener.local_addr()?);
        let metrics = crate::http::metrics_app(state.clone());
        tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, metrics).await {
                tracing::error!(error = %err, "metrics listener stopped");
            }
        });
    }
    let app = build_app(state);
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(
        "serving GraphQL on http://{}/graphql",
        listener.local_addr()?
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// What `serve` does before it serves: applies pending migrations on a
/// connection without the statement timeout (a migration may take longer
/// than any request should), and loads the demo data into an empty
/// database in development only. Returns whether it loaded the demo data.
pub async fn prepare_database(config: &Config) -> Result<bool, Box<dyn std::error::Error>> {
    let admin = db::connect_admin(config).await?;
    migrate(&admin).await?;
    let mut seeded = false;
    if seed::is_empty(&admin).await? {
        if config.env == Environment::Development {
            let report = seed::seed_demo(&admin).await?;
            tracing::info!(?report, "empty database: demo data loaded");
            seeded = true;
        } else {
            tracing::warn!(
                "the database has no partner yet; create them (or run `ocop-gateway seed` for the demo data)"
            );
        }
    }
    admin.close().await?;
    Ok(seeded)
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// Every socket is a file descriptor: the soft limit (often 1,024) is raised
/// to the hard one, so idle subscribers do not starve new connections long
/// before the socket caps (`WS_MAX_*`) apply.
fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open-file limit raised to the hard limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
}

/// Applies pending migrations, then fills the report rollups when the
/// orders predate them: a start-up step of `serve`, `migrate` and `seed`,
/// so the database layer never calls into the domain.
async fn migrate(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    db::migrate(db).await?;
    if crate::domain::rollup::backfill_if_missing(db).await? {
        tracing::info!("report rollups built from the existing orders");
    }
    Ok(())
}
