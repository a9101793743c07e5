//! Health, readiness, metrics, GraphiQL and request ids.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn health_readiness_and_graphiql() {
    let app = TestApp::new().await;
    let (status, _, body) = app.get("/healthz").await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ok"));
    let (status, _, _) = app.get("/readyz").await;
    assert_eq!(status, 200);
    let (status, headers, body) = app.get_accepting("/graphql", "text/html").await;
    assert_eq!(status, 200);
    assert!(body.contains("GraphiQL"), "GraphiQL page");
    // Served from this binary under a strict policy: no third-party origin,
    // no inline script.
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap_or_default();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(!body.contains("://"), "no other origin: {body}");
    assert!(!body.contains("<script>"), "no inline script: {body}");
    let sources: Vec<&str> = body
        .split(['"'])
        .filter(|s| s.starts_with("/graphql/assets/"))
        .collect();
    assert_eq!(sources.len(), 6, "{body}");
    let mut init = String::new();
    for src in sources {
        let (status, headers, text) = app.get(src).await;
        assert_eq!(status, 200, "{src}");
        assert_eq!(
            headers["cache-control"], "public, max-age=31536000, immutable",
            "{src}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{src}");
        assert!(
            !text.contains("unpkg.com") && !text.contains("cdn.jsdelivr"),
            "{src}"
        );
        if src.ends_with("graphiql-init.js") {
            init = text;
        }
    }
    // Wired for subscriptions (the Headers tab travels in connection_init),
    // and pasted headers are never kept in the browser's storage.
    assert!(
        init.contains("/graphql/ws") && init.contains("shouldPersistHeaders: false"),
        "{init}"
    );
    assert!(!init.contains("localStorage"), "{init}");
    let (status, _, _) = app.get("/graphql/assets/x/nope.js").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::new().await;
    app.db.clone().close().await.expect("close pool");
    let (status, _, body) = app.get("/readyz").await;
    assert_eq!(status, 503);
    assert!(
        !body.contains("sqlite") && !body.contains("postgres"),
        "no internals: {body}"
    );
}

#[tokio::test]
async fn responses_carry_a_request_id_and_metrics_count_them() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ locations { code } }",
            json!({}),
        )
        .await;
    res.expect_data();
    let id = res
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(id.len(), 36, "a UUID request id");
    let res = app
        .gql(Some("bad"), "{ locations { code } }", json!({}))
        .await;
    assert_eq!(res.status, 401);
    let (status, _, text) = app.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(
        text.contains(
            r#"ocop_gateway_http_requests_total{method="POST",route="/graphql",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("ocop_gateway_http_request_duration_seconds_bucket"));
    assert!(
        text.contains(r#"ocop_gateway_graphql_errors_total{code="UNAUTHENTICATED"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn with_a_metrics_address_metrics_leave_the_public_port() {
    let app = TestApp::with_config(|c| c.metrics_addr = "127.0.0.1:0".parse().ok()).await;
    let (status, _, _) = app.get("/metrics").await;
    assert_eq!(status, 404, "not served next to the API");
    let metrics = ocop_gateway::http::metrics_app(app.state.clone());
    let request = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(metrics, request)
        .await
        .expect("router never fails");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_request_id_is_kept_only_when_short_and_plain() {
    let app = TestApp::new().await;
    let cases = [
        ("abc-123_X.9", true),
        ("has space", false),
        ("line\tbreak", false),
        ("ünïcode", false),
        (&"x".repeat(65) as &str, false),
    ];
    for (sent, kept) in cases {
        let Ok(value) = axum::http::HeaderValue::from_bytes(sent.as_bytes()) else {
            continue;
        };
        let request = axum::http::Request::get("/healthz")
            .header("x-request-id", value)
            .body(axum::body::Body::empty())
            .expect("request");
        let response = tower::ServiceExt::oneshot(app.router.clone(), request)
            .await
            .expect("router never fails");
        let echoed = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(echoed == sent, kept, "{sent:?} -> {echoed:?}");
        assert!(!echoed.is_empty(), "every response carries an id");
    }
}

#[tokio::test]
async fn invented_methods_and_paths_do_not_grow_metrics() {
    let app = TestApp::new().await;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    // Warm up the label sets a normal client produces.
    app.get("/nope").await;
    let (_, _, before) = app.get("/metrics").await;
    for i in 0..150 {
        let request = axum::http::Request::builder()
            .method(axum::http::Method::from_bytes(format!("BREW{i}").as_bytes()).expect("method"))
            .uri(format!("/invented/{i}"))
            .body(axum::body::Body::empty())
            .expect("request");
        let _ = tower::ServiceExt::oneshot(app.router.clone(), request).await;
    }
    let (_, _, after) = app.get("/metrics").await;
    assert!(
        series(&after) <= series(&before) + 20,
        "{} series before, {} after",
        series(&before),
        series(&after)
    );
    assert!(!after.contains("BREW"), "no invented method is a label");
    assert!(!after.contains("invented"), "no invented path is a label");
}
