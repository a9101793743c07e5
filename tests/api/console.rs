//! `/console`: served by the binary, under a strict CSP, its assets
//! cached by version.

use crate::helpers::*;

#[tokio::test]
async fn the_console_is_served_with_a_strict_policy_and_versioned_assets() {
    let app = TestApp::new().await;
    let (status, headers, html) = app.get("/console").await;
    assert_eq!(status, 200);
    let csp = headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("http"),
        "{csp}"
    );
    assert_eq!(
        headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-cache"[..])
    );
    // Revalidating an unchanged page costs a 304 without a body.
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let (status, _, body) = app
        .get_with("/console", &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!((status.as_u16(), body.as_str()), (304, ""));
    let (status, _, _) = app
        .get_with("/console", &[("if-none-match", "\"stale\"")])
        .await;
    assert_eq!(status, 200);
    // No inline script: every <script> loads a file of this origin.
    for tag in html.split("<script").skip(1) {
        assert!(
            tag.trim_start()
                .starts_with("type=\"module\" src=\"/console/assets/"),
            "{tag}"
        );
    }
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("script path")
        .to_owned();
    let (status, headers, js) = app.get(&script).await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"public, max-age=31536000, immutable"[..])
    );
    assert!(js.contains("sessionStorage") && !js.contains("localStorage.setItem(TOKEN_KEY"));
    // A page from before a deploy still loads its assets, uncached.
    let (status, headers, _) = app.get("/console/assets/0000/main.js").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-cache"[..])
    );
    let (status, _, _) = app.get("/console/assets/0000/nope.js").await;
    assert_eq!(status, 404);
}

/// Every module the page imports, followed from the entry script, is
/// served from the same versioned directory (one missing from the binary
/// would break the page only in a browser), and none of them writes HTML
/// from strings or keeps the token anywhere but sessionStorage.
#[tokio::test]
async fn every_console_module_is_served_and_none_writes_html() {
    let app = TestApp::new().await;
    let (_, _, html) = app.get("/console").await;
    let entry = html
        .split("<script type=\"module\" src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("entry script")
        .to_owned();
    let dir = entry
        .rsplit_once('/')
        .map(|(d, _)| d.to_owned())
        .expect("dir");
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = vec![entry];
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, headers, js) = app.get(&path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            headers.get("content-type").map(|v| v.as_bytes()),
            Some(&b"text/javascript; charset=utf-8"[..]),
            "{path}"
        );
        assert!(
            !js.contains("innerHTML") && !js.contains("insertAdjacentHTML"),
            "{path}"
        );
        assert!(!js.contains("localStorage.setItem(TOKEN_KEY"), "{path}");
        for import in js.split(" from './").skip(1) {
            let name = import.split('\'').next().unwrap_or_default();
            queue.push(format!("{dir}/{name}"));
        }
    }
    assert!(seen.len() >= 9, "{seen:?}");
}
