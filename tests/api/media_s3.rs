//! Images in an S3-compatible bucket (moto's server, started by the test):
//! what one replica stores, another serves; nothing lands on local disk.

use ocop_gateway::media::MediaStore;

use crate::helpers::servers::moto;
use crate::helpers::*;

const BUCKET: &str = "ocop-media";

#[tokio::test]
async fn images_go_to_the_bucket_every_replica_shares() {
    let Some(s3) = moto("images_go_to_the_bucket_every_replica_shares", BUCKET).await else {
        return;
    };
    let endpoint = format!("http://127.0.0.1:{}", s3.port);
    let app = TestApp::with_config(|c| {
        c.media_s3_bucket = Some(BUCKET.into());
        c.media_s3_endpoint = Some(endpoint.clone());
        c.media_s3_access_key_id = Some("test".into());
        c.media_s3_secret_access_key = Some("test-secret".to_owned().into());
    })
    .await;
    let hub = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    let photo = png(900, 600);
    let up = upload(&app, &hub, "image/png", photo.clone()).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let id = up.body["id"].as_str().unwrap_or_default().to_owned();

    // In the bucket itself (read with a client of its own), the original
    // and its phone copy.
    let bucket = MediaStore::configured(&app.state.config).expect("the bucket");
    let stored = bucket.get(&id).await.expect("read the bucket");
    assert_eq!(stored.as_deref(), Some(photo.as_slice()));
    let phone = bucket.get(&format!("{id}.480.jpg")).await.expect("read");
    assert!(phone.is_some(), "the phone copy is in the bucket too");

    // Another replica, same bucket, serves it; the local directory is empty.
    let other = app.replica().await;
    let request = axum::http::Request::get(format!("/media/{id}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let res = send_to(&other, request).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), "image/png");
    let local = std::fs::read_dir(&app.state.config.media_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(local, 0, "nothing on local disk");
    // A bucket that is not there is a configuration error, named at start.
    let mut wrong = app.state.config.clone();
    wrong.media_s3_endpoint = Some("not a url".into());
    assert!(MediaStore::configured(&wrong).is_err());
}
