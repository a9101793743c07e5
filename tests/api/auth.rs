//! Every way a token can be wrong answers 401 UNAUTHENTICATED before any
//! data is read; scopes are the token's ∩ the partner's grant.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::*;

const VIEWER: &str = "{ viewer { partner { code } scopes } }";
const PRODUCTS: &str = "{ products(first: 2) { edges { node { sku } } } }";

fn now() -> i64 {
    jsonwebtoken::get_current_timestamp() as i64
}

fn good_claims() -> Value {
    json!({
        "sub": "aeon-vn",
        "scope": "catalog:read inventory:read",
        "iss": "ocop-gateway",
        "aud": "ocop-partners",
        "exp": now() + 600,
        "iat": now(),
    })
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("object").remove(key);
    claims
}

/// Asserts the request was refused as UNAUTHENTICATED with no data at all.
async fn assert_refused(app: &TestApp, header: &str, why: &str) {
    app.reset_statements();
    let res = app
        .post_raw(
            json!({ "query": PRODUCTS }).to_string(),
            &[("authorization", header)],
        )
        .await;
    assert_eq!(res.status, 401, "{why}: {}", res.body);
    assert_eq!(res.code(), Some("UNAUTHENTICATED"), "{why}");
    assert!(
        res.body.get("data").is_none(),
        "{why}: no data may be returned"
    );
    assert!(res.headers.contains_key("www-authenticate"), "{why}");
    let message = res.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.contains(TEST_SECRET), "{why}: the secret leaked");
}

#[tokio::test]
async fn bad_tokens_are_refused_before_touching_data() {
    let app = TestApp::new().await;
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good_claims().to_string())
    );
    let valid = sign(&good_claims(), TEST_SECRET);
    let mut parts: Vec<&str> = valid.split('.').collect();
    let tampered_payload = URL_SAFE_NO_PAD.encode(
        with(
            good_claims(),
            "scope",
            json!("catalog:read fulfillment:write"),
        )
        .to_string(),
    );
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    let cases: Vec<(String, &str)> = vec![
        (format!("Bearer {alg_none}"), "alg none"),
        (
            format!(
                "Bearer {}",
                sign(&good_claims(), "another-secret-that-is-long-enough-000000")
            ),
            "wrong key",
        ),
        (
            format!(
                "Bearer {}",
                sign(
                    &with(good_claims(), "exp", json!(now() - 3600)),
                    TEST_SECRET
                )
            ),
            "expired",
        ),
        (
            format!(
                "Bearer {}",
                sign(&without(good_claims(), "exp"), TEST_SECRET)
            ),
            "no exp",
        ),
        (
            format!(
                "Bearer {}",
                sign(&with(good_claims(), "iss", json!("evil")), TEST_SECRET)
            ),
            "wrong issuer",
        ),
        (
            format!(
                "Bearer {}",
                sign(&without(good_claims(), "iss"), TEST_SECRET)
            ),
            "no issuer",
        ),
        (
            format!(
                "Bearer {}",
                sign(
                    &with(good_claims(), "aud", json!("someone-else")),
                    TEST_SECRET
                )
            ),
            "wrong audience",
        ),
        (
            format!(
                "Bearer {}",
                sign(
                    &with(good_claims(), "nbf", json!(now() + 3600)),
                    TEST_SECRET
                )
            ),
            "not yet valid",
        ),
        (
            format!(
                "Bearer {}",
                sign(&without(good_claims(), "scope"), TEST_SECRET)
            ),
            "no scope claim",
        ),
        (
            format!(
                "Bearer {}",
                sign(&without(good_claims(), "sub"), TEST_SECRET)
            ),
            "no subject",
        ),
        (format!("Bearer {tampered}"), "tampered claims"),
        ("Bearer not.a.jwt".into(), "garbage token"),
        ("Bearer".into(), "empty bearer"),
        ("Basic YWxhZGRpbjpvcGVuc2VzYW1l".into(), "basic auth"),
        (valid.clone(), "token without scheme"),
    ];
    for (header, why) in &cases {
        assert_refused(&app, header, why).await;
        assert_eq!(app.statement_count(), 0, "{why}: refused without any SQL");
    }
}

#[tokio::test]
async fn unknown_and_suspended_partners_are_refused() {
    // Partners are cached for PARTNER_CACHE_TTL_MS; with 0 a suspension
    // applies at the next request.
    let app = TestApp::with_config(|c| c.partner_cache_ttl_ms = 0).await;
    let unknown = sign(
        &with(good_claims(), "sub", json!("not-a-partner")),
        TEST_SECRET,
    );
    assert_refused(&app, &format!("Bearer {unknown}"), "unknown partner").await;

    let winmart = app.token("winmart", ALL_RETAIL_SCOPES);
    assert!(
        app.gql(Some(&winmart), VIEWER, json!({}))
            .await
            .body
            .get("errors")
            .is_none()
    );
    app.exec("UPDATE partner SET status = 'suspended' WHERE code = 'winmart'")
        .await;
    assert_refused(&app, &format!("Bearer {winmart}"), "suspended partner").await;
}

/// `JWT_LEEWAY_SECS` (5 in tests, the default) absorbs clock skew on
/// `exp` and `nbf`, and no more. The margins are seconds wide, so this does
/// not depend on how fast the machine is.
#[tokio::test]
async fn clock_skew_is_tolerated_up_to_the_leeway() {
    let app = TestApp::with_config(|c| c.jwt_leeway_secs = 5).await;
    let accepted = [
        ("exp", now() - 2, "expired 2 s ago"),
        ("nbf", now() + 2, "valid in 2 s"),
    ];
    for (claim, at, why) in accepted {
        let token = sign(&with(good_claims(), claim, json!(at)), TEST_SECRET);
        let res = app.gql(Some(&token), VIEWER, json!({})).await;
        assert_eq!(res.status, 200, "{why}: {}", res.body);
        assert_eq!(
            res.expect_data()["viewer"]["partner"]["code"],
            "aeon-vn",
            "{why}"
        );
    }
    let refused = [
        ("exp", now() - 30, "expired 30 s ago"),
        ("nbf", now() + 30, "valid in 30 s"),
    ];
    for (claim, at, why) in refused {
        let token = sign(&with(good_claims(), claim, json!(at)), TEST_SECRET);
        assert_refused(&app, &format!("Bearer {token}"), why).await;
    }
}

/// A suspension applies once the cached partner record is older than
/// `PARTNER_CACHE_TTL_MS`: waiting past the TTL can only make the record
/// older, so this holds on any machine.
#[tokio::test]
async fn a_suspension_applies_within_the_partner_cache_ttl() {
    let ttl = std::time::Duration::from_millis(300);
    let app = TestApp::with_config(|c| c.partner_cache_ttl_ms = 300).await;
    let hapro = app.token("hapro", ALL_RETAIL_SCOPES);
    let res = app.gql(Some(&hapro), VIEWER, json!({})).await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "hapro");
    app.exec("UPDATE partner SET status = 'suspended' WHERE code = 'hapro'")
        .await;
    tokio::time::sleep(ttl + std::time::Duration::from_millis(50)).await;
    assert_refused(&app, &format!("Bearer {hapro}"), "suspended past the TTL").await;
    // Reactivated, it is served again once the TTL has passed once more.
    app.exec("UPDATE partner SET status = 'active' WHERE code = 'hapro'")
        .await;
    tokio::time::sleep(ttl + std::time::Duration::from_millis(50)).await;
    let res = app.gql(Some(&hapro), VIEWER, json!({})).await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "hapro");
}

#[tokio::test]
async fn no_token_means_only_introspection() {
    let app = TestApp::new().await;
    let res = app.gql(None, PRODUCTS, json!({})).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.code(), Some("UNAUTHENTICATED"));
    assert!(res.data().is_null());
    let res = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(res.expect_data()["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn effective_scopes_are_token_scopes_within_the_partner_grant() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read fulfillment:write inventory:write partners:admin",
            VIEWER,
            json!({}),
        )
        .await;
    let data = res.expect_data();
    assert_eq!(data["viewer"]["partner"]["code"], "aeon-vn");
    assert_eq!(data["viewer"]["scopes"], json!(["catalog:read"]));

    let res = app
        .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, VIEWER, json!({}))
        .await;
    assert_eq!(
        res.expect_data()["viewer"]["scopes"]
            .as_array()
            .map(Vec::len),
        Some(10),
        "the operator holds every scope, catalog:write included"
    );
}

#[tokio::test]
async fn a_missing_scope_is_forbidden_per_field() {
    let app = TestApp::new().await;
    let res = app
        .gql_as("aeon-vn", "inventory:read", PRODUCTS, json!({}))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.code(), Some("FORBIDDEN"));
    assert!(
        res.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("catalog:read")
    );

    // The token claims a scope the retail partner may not hold: still forbidden.
    let stock = "{ products(first: 1) { edges { node { sku available } } } }";
    let res = app
        .gql_as("aeon-vn", "catalog:read", stock, json!({}))
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    assert_eq!(
        res.body["errors"][0]["path"],
        json!(["products", "edges", 0, "node", "available"])
    );
    // The catalogue part is still served.
    assert!(res.data()["products"]["edges"][0]["node"]["sku"].is_string());
}

#[tokio::test]
async fn viewer_lists_the_partner_stores() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "hapro",
            "catalog:read",
            "{ viewer { partner { code name stores { id code name } } } }",
            json!({}),
        )
        .await;
    let stores = res.expect_data()["viewer"]["partner"]["stores"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let codes: Vec<&str> = stores.iter().filter_map(|s| s["code"].as_str()).collect();
    assert_eq!(codes, ["HAPRO-HK", "HAPRO-TX"]);
    assert_eq!(
        res.expect_data()["viewer"]["partner"]["name"],
        "Tổng công ty Thương mại Hà Nội (Hapro)"
    );
}

async fn public_key_app(alg: &str, public_key: &str) -> TestApp {
    let alg = alg.to_owned();
    let path = format!("{}/tests/fixtures/{public_key}", env!("CARGO_MANIFEST_DIR"));
    TestApp::with_config(move |c| {
        c.jwt_algorithm = clap::ValueEnum::from_str(&alg, false).expect("algorithm");
        c.jwt_public_key_file = Some(path.into());
        c.jwt_secret = None;
    })
    .await
}

fn sign_pem(alg: Algorithm, private_key: &str, claims: &Value) -> String {
    let pem = std::fs::read(format!(
        "{}/tests/fixtures/{private_key}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("key");
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
        _ => EncodingKey::from_ed_pem(&pem),
    }
    .expect("parse key");
    jsonwebtoken::encode(&Header::new(alg), claims, &key).expect("sign")
}

#[tokio::test]
async fn public_key_modes_accept_only_their_key_and_algorithm() {
    let app = public_key_app("EdDSA", "ed25519-public.pem").await;
    let good = sign_pem(Algorithm::EdDSA, "ed25519-private.pem", &good_claims());
    let res = app.gql(Some(&good), VIEWER, json!({})).await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "aeon-vn");

    let other_key = sign_pem(
        Algorithm::EdDSA,
        "other-ed25519-private.pem",
        &good_claims(),
    );
    assert_refused(&app, &format!("Bearer {other_key}"), "other EdDSA key").await;
    // Algorithm confusion: an HS256 token "signed" with the public key text.
    let public_pem = std::fs::read_to_string(format!(
        "{}/tests/fixtures/ed25519-public.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("pem");
    let confused = sign(&good_claims(), &public_pem);
    assert_refused(
        &app,
        &format!("Bearer {confused}"),
        "HS256 with public key as secret",
    )
    .await;
    // The gateway holds no private key in this mode.
    assert!(
        app.state
            .auth
            .mint(
                "aeon-vn",
                &Default::default(),
                std::time::Duration::from_secs(60)
            )
            .is_err()
    );

    let app = public_key_app("RS256", "rsa-public.pem").await;
    let good = sign_pem(Algorithm::RS256, "rsa-private.pem", &good_claims());
    assert_eq!(
        app.gql(Some(&good), VIEWER, json!({})).await.expect_data()["viewer"]["partner"]["code"],
        "aeon-vn"
    );

    let app = public_key_app("ES256", "p256-public.pem").await;
    let good = sign_pem(Algorithm::ES256, "p256-private.pem", &good_claims());
    assert_eq!(
        app.gql(Some(&good), VIEWER, json!({})).await.expect_data()["viewer"]["partner"]["code"],
        "aeon-vn"
    );
    // An RS256 token is refused by an ES256 gateway, whatever its key.
    let rsa = sign_pem(Algorithm::RS256, "rsa-private.pem", &good_claims());
    assert_refused(&app, &format!("Bearer {rsa}"), "RS256 at an ES256 gateway").await;
}
