//! The binary's subcommands, run as a user would.

use std::process::Command;

use crate::helpers::*;

fn gateway() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ocop-gateway"));
    for var in [
        "OCOP_ENV",
        "JWT_SECRET",
        "JWT_ALGORITHM",
        "JWT_PUBLIC_KEY_FILE",
        "DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[tokio::test]
async fn token_prints_only_a_token_the_gateway_accepts() {
    let app = TestApp::new().await;
    let out = gateway()
        .args([
            "token",
            "--partner",
            "winmart",
            "--scopes",
            "catalog:read,orders:write",
            "--ttl",
            "15m",
        ])
        .env("JWT_SECRET", TEST_SECRET)
        .output()
        .expect("run token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    let token = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1);
    assert_eq!(token.split('.').count(), 3);
    let res = app
        .gql(
            Some(token),
            "{ viewer { partner { code } scopes } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "winmart");
    assert_eq!(
        res.expect_data()["viewer"]["scopes"],
        serde_json::json!(["catalog:read", "orders:write"])
    );
}

#[test]
fn token_refuses_an_unknown_scope_by_name() {
    let out = gateway()
        .args([
            "token",
            "--partner",
            "winmart",
            "--scopes",
            "catalog:read,orders:wirte",
            "--ttl",
            "15m",
        ])
        .env("JWT_SECRET", TEST_SECRET)
        .output()
        .expect("run token");
    assert!(!out.status.success(), "a typo must not mint a token");
    assert!(out.stdout.is_empty(), "nothing is printed on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`orders:wirte`"), "{stderr}");
}

#[test]
fn production_refuses_missing_short_and_development_secrets() {
    let cases = [
        (None, "JWT_SECRET is required"),
        (Some("too-short"), "at least 32 bytes"),
        (
            Some(ocop_gateway::config::DEVELOPMENT_JWT_SECRET),
            "development JWT secret is refused",
        ),
    ];
    for (secret, expected) in cases {
        let mut cmd = gateway();
        cmd.args(["token", "--partner", "aeon-vn"])
            .env("OCOP_ENV", "production");
        if let Some(secret) = secret {
            cmd.env("JWT_SECRET", secret);
        }
        let out = cmd.output().expect("run token");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        if let Some(secret) = secret {
            assert!(!stderr.contains(secret), "the secret leaked: {stderr}");
        }
    }
}

#[test]
fn schema_subcommand_prints_the_published_sdl() {
    let out = gateway().arg("schema").output().expect("run schema");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        ocop_gateway::graphql::sdl()
    );
}

#[test]
fn seed_is_idempotent_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    for _ in 0..2 {
        let out = gateway()
            .arg("seed")
            .env("DATABASE_URL", &url)
            .output()
            .expect("run seed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = gateway()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .expect("run migrate");
    assert!(out.status.success());
}

#[test]
fn the_development_secret_never_serves_beyond_loopback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("net.db").display());
    let out = gateway()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("BIND_ADDR", "0.0.0.0:0")
        .env_remove("JWT_SECRET")
        .output()
        .expect("run serve");
    assert!(!out.status.success(), "it refused to start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only serves on a loopback address"),
        "{stderr}"
    );
}

#[tokio::test]
async fn demo_data_is_loaded_only_in_development() {
    use ocop_gateway::config::{Config, Environment, Secret};
    for (env, expected) in [
        (Environment::Production, false),
        (Environment::Development, true),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::development();
        config.env = env;
        config.jwt_secret = Some(Secret::new(crate::helpers::TEST_SECRET));
        config.database_url = Secret::new(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("fresh.db").display()
        ));
        let seeded = ocop_gateway::cli::prepare_database(&config)
            .await
            .expect("prepare");
        assert_eq!(seeded, expected, "{env:?}");
        let db = ocop_gateway::db::connect(&config).await.expect("connect");
        assert_eq!(
            ocop_gateway::seed::is_empty(&db).await.expect("count"),
            !expected
        );
    }
}
