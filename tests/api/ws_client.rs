//! A graphql-transport-ws client for the tests: the protocol as the npm
//! `graphql-ws` client speaks it, over a real WebSocket.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, http::HeaderValue};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// What the server said.
#[derive(Debug)]
pub enum Said {
    Message(Value),
    Closed(u16, String),
    Nothing,
}

pub struct Ws(pub WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    pub async fn open(addr: SocketAddr) -> Ws {
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (stream, response) = connect_async(request).await.expect("connect");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Ws(stream)
    }

    /// Opens and initialises with `token`; panics unless acknowledged.
    pub async fn connect(addr: SocketAddr, token: &str) -> Ws {
        let mut ws = Ws::open(addr).await;
        ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        match ws.recv(Duration::from_secs(5)).await {
            Said::Message(m) if m["type"] == "connection_ack" => ws,
            other => panic!("not acknowledged: {other:?}"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.0
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message (pings are answered and skipped).
    pub async fn recv(&mut self, within: Duration) -> Said {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let next = tokio::time::timeout_at(deadline, self.0.next()).await;
            match next {
                Err(_) => return Said::Nothing,
                Ok(None) | Ok(Some(Err(_))) => return Said::Closed(1006, String::new()),
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map_or(Said::Closed(1005, String::new()), |f| {
                        Said::Closed(u16::from(f.code), f.reason.to_string())
                    });
                }
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).expect("json");
                    if v["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Said::Message(v);
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// The payload of the next `next` message for `id`.
    pub async fn next(&mut self, id: &str, within: Duration) -> Value {
        match self.recv(within).await {
            Said::Message(m) if m["type"] == "next" && m["id"] == id => m["payload"].clone(),
            other => panic!("expected next for {id}: {other:?}"),
        }
    }

    pub async fn closed(&mut self, within: Duration) -> (u16, String) {
        loop {
            match self.recv(within).await {
                Said::Closed(code, reason) => return (code, reason),
                Said::Message(_) => continue,
                Said::Nothing => panic!("the socket stayed open"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .0
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}
