//! A webhook target on loopback for the delivery tests: it records every request
//! and answers from a script (then 200).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A scripted answer: status and extra headers.
pub type Answer = (u16, Vec<(&'static str, &'static str)>);

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Answer>>,
    delay: Mutex<Duration>,
    body: Mutex<Option<Bytes>>,
    arrived: std::sync::atomic::AtomicUsize,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

async fn record(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    inner
        .arrived
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let delay = *inner.delay.lock().expect("lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    inner.received.lock().expect("lock").push(Received {
        method: method.to_string(),
        path: uri.path().to_string(),
        headers,
        body,
    });
    let (status, extra) = inner
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or((200, vec![]));
    let mut answer = HeaderMap::new();
    for (name, value) in extra {
        answer.insert(name, value.parse().expect("header value"));
    }
    let body = inner.body.lock().expect("lock").clone();
    (
        StatusCode::from_u16(status).expect("status"),
        answer,
        body.unwrap_or(Bytes::from_static(b"answer body")),
    )
}

impl Receiver {
    /// Start a receiver that answers `script` in order, then 200.
    pub async fn start(script: Vec<Answer>) -> Receiver {
        let inner = Arc::new(Inner::default());
        *inner.script.lock().expect("lock") = script.into();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, inner }
    }

    /// Wait this long before answering each request.
    pub fn set_delay(&self, delay: Duration) {
        *self.inner.delay.lock().expect("lock") = delay;
    }

    /// Answer every request with this body (instead of "answer body").
    pub fn set_body(&self, body: &'static [u8]) {
        *self.inner.body.lock().expect("lock") = Some(Bytes::from_static(body));
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().expect("lock").clone()
    }

    /// Requests that arrived, answered or not yet.
    pub fn arrived(&self) -> usize {
        self.inner.arrived.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn count(&self) -> usize {
        self.inner.received.lock().expect("lock").len()
    }
}
