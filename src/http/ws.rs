//! `/graphql/ws`: the graphql-transport-ws protocol (the npm `graphql-ws`
//! client's), written here rather than taken from async-graphql-axum,
//! whose handler closes a refused `connection_init` with 1002 instead of
//! 4403, never times out a socket that does not initialise, lets a second
//! `subscribe` with a live id silently replace the first and has no cap on
//! streams per socket.
//!
//! - The token travels in the `connection_init` payload (`Authorization`
//!   or `authorization`: `Bearer <JWT>`) and is checked as on HTTP; a bad
//!   one closes the socket with 4403. A socket that has not initialised
//!   after `INIT_TIMEOUT` is closed with 4408; one whose partner is over
//!   its rate budget is closed with 1013 (Try Again Later), which clients
//!   retry, not with 4403, which tells them to sign in again.
//! - When the token expires, or its partner is suspended or its tokens
//!   revoked (at once when any replica announces the change, and at every
//!   keep-alive besides), the socket closes with 4403:
//!   the client reconnects with a new token (graphql-ws retries 4403).
//! - Only subscriptions are served here; queries and mutations go to
//!   `POST /graphql`. Each `subscribe` is measured like an HTTP request
//!   (document limits, rate budget, query cost) before it starts.
//! - A `ping` goes out every `KEEPALIVE`; a socket that cannot take a
//!   message within `SEND_TIMEOUT` is dropped (its subscriptions end).

use std::collections::HashMap;
use std::time::Duration;

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::IntoResponse;
use axum::response::Response;
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, SelectAll};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep_until};

use crate::auth::{self, Claims};
use crate::error::AppError;
use crate::graphql::loader;
use crate::graphql::{admit, codes};
use crate::http::caller::{self, Caller};
use crate::http::state::AppState;
use async_graphql::parser::types::OperationType;

pub const PROTOCOL: &str = "graphql-transport-ws";
const INIT_TIMEOUT: Duration = Duration::from_secs(5);
const KEEPALIVE: Duration = Duration::from_secs(15);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest client message (a subscribe document and its variables).
const MAX_MESSAGE: usize = 64 * 1024;

pub async fn handler(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // A place among the sockets not yet initialised, before the upgrade:
    // refused with 503 (`RATE_LIMITED`, `Retry-After`), nothing allocated.
    let address = super::client_addr::client_ip(
        connect.map(|c| c.0.0),
        &headers,
        &state.config.trusted_proxies,
    );
    let Some(pending) = state.sockets.pending(address) else {
        state
            .metrics
            .observe_graphql_error(crate::error::code::RATE_LIMITED);
        return AppError::Overloaded.into_response();
    };
    // Small buffers: most sockets are idle subscribers, and a thousand of
    // them must not cost tungstenite's 128 KiB read buffer each.
    let ws = ws
        .protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let agreed = ws.selected_protocol().is_some();
    let shift = state.config.clock_shift();
    ws.on_upgrade(move |socket| {
        crate::domain::clock::shifted(shift, async move {
            let live = state.metrics.live.clone();
            live.socket(1);
            let access = state.db.partner_access().heard.subscribe();
            let mut conn = Connection {
                access,
                pending: Some(pending),
                partner_place: None,
                state,
                socket,
                session: None,
                active: HashMap::new(),
                streams: SelectAll::new(),
                generation: 0,
            };
            if agreed {
                conn.run().await;
            } else {
                conn.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
                    .await;
            }
            live.socket(-1);
        })
    })
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {},
    Pong {},
    Subscribe {
        id: String,
        payload: SubscribePayload,
    },
    Complete {
        id: String,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscribePayload {
    query: String,
    #[serde(default)]
    variables: Option<Value>,
    #[serde(default)]
    operation_name: Option<String>,
}

/// What the server sends (graphql-transport-ws).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    ConnectionAck,
    Ping,
    Pong,
    Next {
        id: &'a str,
        payload: &'a async_graphql::Response,
    },
    Error {
        id: &'a str,
        payload: &'a [async_graphql::ServerError],
    },
    Complete {
        id: &'a str,
    },
}

struct Session {
    claims: Claims,
    caller: Caller,
    expires: Instant,
}

enum Out {
    Next(String, u64, Box<async_graphql::Response>),
    Done(String, u64),
}

struct Active {
    generation: u64,
    /// Dropping it ends the stream.
    _cancel: oneshot::Sender<()>,
    started: bool,
}

struct Connection {
    state: AppState,
    socket: WebSocket,
    session: Option<Session>,
    active: HashMap<String, Active>,
    streams: SelectAll<BoxStream<'static, Out>>,
    generation: u64,
    /// Partners whose access changed, as any replica announces them.
    access: tokio::sync::broadcast::Receiver<i64>,
    /// Held until `connection_init` is accepted.
    pending: Option<super::ws_limits::Pending>,
    /// Held while initialised: the partner's count of open sockets.
    partner_place: Option<super::ws_limits::PartnerSocket>,
}

/// Why the loop stops: the socket is closed (with this code) or gone.
enum Stop {
    Close(u16, String),
    Gone,
}

impl Connection {
    async fn run(&mut self) {
        let init_deadline = Instant::now() + INIT_TIMEOUT;
        let mut keepalive = tokio::time::interval_at(Instant::now() + KEEPALIVE, KEEPALIVE);
        let stop = loop {
            let expires = self.session.as_ref().map_or(init_deadline, |s| s.expires);
            let step = tokio::select! {
                message = self.socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => self.on_text(&text).await,
                    Some(Ok(Message::Binary(_))) => Err(Stop::Close(4400, "binary messages are not part of the protocol".into())),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => Err(Stop::Gone),
                    Some(Ok(_)) => Ok(()),
                },
                out = self.streams.next(), if !self.streams.is_empty() => match out {
                    Some(out) => self.on_out(out).await,
                    None => Ok(()),
                },
                _ = sleep_until(expires) => Err(match self.session {
                    None => Stop::Close(4408, "Connection initialisation timeout".into()),
                    Some(_) => Stop::Close(4403, "Forbidden: the token has expired".into()),
                }),
                _ = keepalive.tick() => self.keepalive().await,
                changed = self.access.recv(), if self.session.is_some() => match changed {
                    Ok(id) if id == 0 || Some(id) == self.session.as_ref().map(|s| s.caller.viewer.partner_id()) => {
                        self.state.partners.forget(id);
                        self.check_partner().await
                    }
                    Ok(_) => Ok(()),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => self.check_partner().await,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => Ok(()),
                },
            };
            if let Err(stop) = step {
                break stop;
            }
        };
        if let Stop::Close(code, reason) = stop {
            self.close(code, &reason).await;
        }
    }

    /// Serialises `message` once, straight to the frame's text.
    async fn send(&mut self, message: ServerMessage<'_>) -> Result<(), Stop> {
        let Ok(text) = serde_json::to_string(&message) else {
            return Err(Stop::Close(1011, "could not encode a message".into()));
        };
        let text = Utf8Bytes::from(text);
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Text(text))).await {
            Ok(Ok(())) => Ok(()),
            // Too slow to take a message, or gone: drop it.
            _ => Err(Stop::Gone),
        }
    }

    async fn close(&mut self, code: u16, reason: &str) {
        // A close reason is at most 123 bytes.
        let mut end = reason.len().min(120);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(&reason[..end]),
        };
        let _ =
            tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Message::Close(Some(frame)))).await;
    }

    async fn on_text(&mut self, text: &str) -> Result<(), Stop> {
        let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
            return Err(Stop::Close(4400, "Invalid message received".into()));
        };
        match message {
            ClientMessage::ConnectionInit { payload } => {
                if self.session.is_some() {
                    return Err(Stop::Close(4429, "Too many initialisation requests".into()));
                }
                match authenticate(&self.state, payload).await {
                    Ok(session) => {
                        let partner = session.caller.viewer.partner_id();
                        let Some(place) = self.state.sockets.partner(partner) else {
                            return Err(Stop::Close(
                                4429,
                                "Too many open sockets for this partner".into(),
                            ));
                        };
                        self.partner_place = Some(place);
                        self.pending = None;
                        self.session = Some(session);
                        self.send(ServerMessage::ConnectionAck).await
                    }
                    // Over its rate is not forbidden: 1013 (Try Again
                    // Later) is retried by graphql-ws and the console, where
                    // 4403 would sign a busy partner out.
                    Err(AppError::RateLimited { retry_after_secs }) => Err(Stop::Close(
                        1013,
                        format!("Rate limited: try again in {retry_after_secs} s"),
                    )),
                    Err(e) => Err(Stop::Close(
                        4403,
                        format!("Forbidden: {}", e.public_message()),
                    )),
                }
            }
            ClientMessage::Ping {} => self.send(ServerMessage::Pong).await,
            ClientMessage::Pong {} => Ok(()),
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, payload).await,
            ClientMessage::Complete { id } => {
                // Dropping the entry ends its stream; nothing is sent back.
                self.active.remove(&id);
                Ok(())
            }
        }
    }

    /// Pings the client, and checks that its partner may still connect.
    async fn keepalive(&mut self) -> Result<(), Stop> {
        self.check_partner().await?;
        self.send(ServerMessage::Ping).await
    }

    /// Closes the socket with 4403 when its partner may no longer connect
    /// (suspended, unknown, or this token revoked): at each keep-alive, and
    /// at once when any replica announces a change to the partner.
    async fn check_partner(&mut self) -> Result<(), Stop> {
        if let Some(session) = &self.session {
            let partner = self
                .state
                .partners
                .get(&self.state.db, &session.claims.sub)
                .await;
            let refused = match partner {
                Ok(Some(p)) => auth::viewer_for(p, &session.claims).err(),
                Ok(None) => Some(AppError::Unauthenticated(
                    "the token's partner is not known".into(),
                )),
                // The database is away: keep serving what is flowing.
                Err(_) => None,
            };
            if let Some(e) = refused {
                return Err(Stop::Close(
                    4403,
                    format!("Forbidden: {}", e.public_message()),
                ));
            }
        }
        Ok(())
    }

    async fn refuse(&mut self, id: &str, e: AppError) -> Result<(), Stop> {
        self.send(ServerMessage::Error {
            id,
            payload: &[e.request_error()],
        })
        .await
    }

    async fn subscribe(&mut self, id: String, payload: SubscribePayload) -> Result<(), Stop> {
        let Some(session) = &self.session else {
            return Err(Stop::Close(4401, "Unauthorized".into()));
        };
        if self.active.contains_key(&id) {
            return Err(Stop::Close(
                4409,
                format!("Subscriber for {id} already exists"),
            ));
        }
        let hub = self.state.live.clone();
        if self.active.len() >= hub.limits.per_socket {
            let e = AppError::RateLimited {
                retry_after_secs: 1,
            };
            return self.refuse(&id, e).await;
        }
        if let Err(retry_after_secs) = session.caller.budget.take_request() {
            return self
                .refuse(&id, AppError::RateLimited { retry_after_secs })
                .await;
        }
        let state = &self.state;
        let mut request = async_graphql::Request::new(payload.query);
        if let Some(variables) = payload.variables {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        if let Some(name) = &payload.operation_name {
            request = request.operation_name(name);
        }
        let asker = admit::Asker {
            budget: Some(&session.caller.budget),
            max_complexity: state.config.max_query_complexity,
        };
        let request = match admit::admit(
            &state.admission,
            request,
            asker,
            &[OperationType::Subscription],
        )
        .await
        {
            Ok(admitted) => admitted.request,
            Err(admit::Refused::Transport(_)) => {
                let e = AppError::bad_input(
                    "only subscriptions are served on /graphql/ws; send queries and mutations to POST /graphql",
                );
                return self.refuse(&id, e).await;
            }
            Err(admit::Refused::Errors(errors)) => {
                return self
                    .send(ServerMessage::Error {
                        id: &id,
                        payload: &errors,
                    })
                    .await;
            }
        };
        let data = caller::request_data(state, Some(&session.caller));
        let request = loader::prepare_live(request, data).data(hub);
        self.generation += 1;
        let generation = self.generation;
        let (cancel, cancelled) = oneshot::channel::<()>();
        let next_id = id.clone();
        let stream = state
            .schema
            .execute_stream(request)
            .take_until(cancelled)
            .map(move |r| Out::Next(next_id.clone(), generation, Box::new(r)))
            .chain(futures_util::stream::once({
                let id = id.clone();
                async move { Out::Done(id, generation) }
            }));
        self.streams.push(stream.boxed());
        self.active.insert(
            id,
            Active {
                generation,
                _cancel: cancel,
                started: false,
            },
        );
        Ok(())
    }

    async fn on_out(&mut self, out: Out) -> Result<(), Stop> {
        match out {
            Out::Next(id, generation, mut response) => {
                let Some(active) = self
                    .active
                    .get_mut(&id)
                    .filter(|a| a.generation == generation)
                else {
                    return Ok(());
                };
                let first = !active.started;
                active.started = true;
                response.errors = std::mem::take(&mut response.errors)
                    .into_iter()
                    .map(codes::coded)
                    .collect();
                // Refused before it produced anything (validation, scope,
                // a bad argument): an `error`, which ends the operation.
                if first
                    && !response.errors.is_empty()
                    && response.data == async_graphql::Value::Null
                {
                    self.active.remove(&id);
                    return self
                        .send(ServerMessage::Error {
                            id: &id,
                            payload: &response.errors,
                        })
                        .await;
                }
                self.send(ServerMessage::Next {
                    id: &id,
                    payload: &response,
                })
                .await
            }
            Out::Done(id, generation) => {
                if self
                    .active
                    .get(&id)
                    .is_some_and(|a| a.generation == generation)
                {
                    self.active.remove(&id);
                    return self.send(ServerMessage::Complete { id: &id }).await;
                }
                Ok(())
            }
        }
    }
}

/// When a token with `left` seconds to live expires, as an `Instant`. A
/// token may claim an `exp` far past what an `Instant` can hold (near
/// `u64::MAX`): such a socket lives as long as a socket can (a century),
/// instead of the addition overflowing.
fn expiry_instant(now: Instant, left: u64) -> Instant {
    const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(Duration::from_secs(left).min(LONGEST))
        .or_else(|| now.checked_add(LONGEST))
        .unwrap_or(now)
}

async fn authenticate(state: &AppState, payload: Option<Value>) -> Result<Session, AppError> {
    let header = payload
        .as_ref()
        .and_then(|p| p.get("Authorization").or_else(|| p.get("authorization")))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AppError::Unauthenticated(
                "send {\"Authorization\": \"Bearer <JWT>\"} in connection_init".into(),
            )
        })?;
    let (caller, claims) = caller::authenticate_token(state, auth::bearer_token(header)?).await?;
    let left = claims.exp.saturating_sub(auth::now_secs());
    Ok(Session {
        expires: expiry_instant(Instant::now(), left),
        claims,
        caller,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_that_never_expires_does_not_overflow_the_clock() {
        let now = Instant::now();
        let far = expiry_instant(now, u64::MAX);
        assert!(far > now + Duration::from_secs(50 * 365 * 24 * 3600));
        assert_eq!(expiry_instant(now, 60), now + Duration::from_secs(60));
        assert_eq!(expiry_instant(now, 0), now);
    }
}
