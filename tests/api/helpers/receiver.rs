//! A partner's webhook receiver: a real HTTP server on a random local
//! port that records every call and answers as the test plans (a status,
//! or never).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokio::sync::mpsc;

/// How long a test waits for a call that must come: a bound on a hang.
pub const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    /// Holds the call open and never answers.
    Hang,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn id(&self) -> &str {
        self.header("webhook-id")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
    /// Checks the signature with the specification's own library.
    pub fn verifies_with(&self, secret: &str) -> bool {
        standardwebhooks::Webhook::new(secret)
            .expect("a whsec_ secret")
            .verify(self.body.as_bytes(), &self.headers)
            .is_ok()
    }
}

type Shared = (mpsc::UnboundedSender<Received>, Arc<Mutex<VecDeque<Reply>>>);

pub struct Receiver {
    pub addr: SocketAddr,
    calls: mpsc::UnboundedReceiver<Received>,
    plan: Arc<Mutex<VecDeque<Reply>>>,
}

async fn take(State((tx, plan)): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = tx.send(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let reply = plan
        .lock()
        .ok()
        .and_then(|mut p| p.pop_front())
        .unwrap_or(Reply::Status(200));
    match reply {
        Reply::Status(s) => StatusCode::from_u16(s).unwrap_or(StatusCode::OK),
        Reply::Hang => std::future::pending().await,
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let (tx, calls) = mpsc::unbounded_channel();
        let plan: Arc<Mutex<VecDeque<Reply>>> = Arc::default();
        let app = axum::Router::new()
            .route("/hooks", axum::routing::post(take))
            .with_state((tx, plan.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { addr, calls, plan }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    /// The next calls are answered so, in order; then 200.
    pub fn answer(&self, replies: &[Reply]) {
        if let Ok(mut p) = self.plan.lock() {
            p.extend(replies.iter().copied());
        }
    }

    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("a webhook call within the patience")
            .expect("the receiver is running")
    }

    /// The next call whose `type` is `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Received {
        loop {
            let r = self.next().await;
            if r.json()["type"] == kind {
                return r;
            }
        }
    }

    /// Calls already received, without waiting.
    pub fn drain(&mut self) -> Vec<Received> {
        let mut v = Vec::new();
        while let Ok(r) = self.calls.try_recv() {
            v.push(r);
        }
        v
    }
}
