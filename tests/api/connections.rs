//! The listener under slow and idle clients, over raw TCP on loopback: silent and
//! dribbling connections are closed after the header timeout, one address cannot
//! take every slot, and `/metrics` can live on a listener of its own.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use leadpost::app::Application;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{Backend, base_settings, fresh_store, spawn_app_with};

/// Far above the one-second header timeout the tests configure.
const GENEROUS: Duration = Duration::from_secs(15);

fn socket_addr(address: &str) -> SocketAddr {
    address
        .trim_start_matches("http://")
        .parse()
        .expect("socket address")
}

/// Read until the server closes the connection; how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(GENEROUS, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open after {GENEROUS:?}"
    );
    start.elapsed()
}

/// A raw `GET /healthz` from the given local address; the status line.
async fn healthz_from(local: [u8; 4], server: SocketAddr) -> String {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((local, 0)))
        .expect("bind a loopback source address");
    let mut stream = socket.connect(server).await.expect("connects");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("request written");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer read");
    answer.lines().next().unwrap_or_default().to_string()
}

async fn app_with_header_timeout_of_one_second() -> SocketAddr {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.server.header_read_timeout_seconds = 1
    })
    .await
    .expect("app");
    let addr = socket_addr(&app.address);
    // The app lives as long as the test's runtime.
    std::mem::forget(app);
    addr
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let addr = app_with_header_timeout_of_one_second().await;
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let waited = time_until_closed(&mut stream).await;
    assert!(
        waited >= Duration::from_millis(500),
        "closed after {waited:?}"
    );
}

#[tokio::test]
async fn a_connection_dribbling_its_headers_is_closed_after_the_header_timeout() {
    let addr = app_with_header_timeout_of_one_second().await;
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let dribble = async {
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa" {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let start = Instant::now();
    let _ = tokio::time::timeout(GENEROUS, dribble).await;
    let waited = start.elapsed() + time_until_closed(&mut stream).await;
    assert!(waited < GENEROUS, "open for {waited:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let addr = app_with_header_timeout_of_one_second().await;
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("request written");
    let mut buf = [0u8; 256];
    let n = stream.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    time_until_closed(&mut stream).await;
}

#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.server.max_connections = 8;
        s.server.max_connections_per_ip = 4;
        s.server.header_read_timeout_seconds = 60;
    })
    .await
    .expect("app");
    let addr = socket_addr(&app.address);
    let mut hogs = Vec::new();
    for _ in 0..8 {
        hogs.push(TcpStream::connect(addr).await.expect("connects"));
    }
    // Four are held; the other four were closed at once.
    let mut closed = 0;
    for hog in &mut hogs {
        let mut buf = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(500), hog.read(&mut buf)).await
        {
            closed += 1;
        }
    }
    assert_eq!(closed, 4);
    let status = tokio::time::timeout(GENEROUS, healthz_from([127, 0, 0, 2], addr))
        .await
        .expect("another address is served");
    assert_eq!(status, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn metrics_are_served_only_on_their_own_address_when_one_is_set() {
    let mut settings = base_settings();
    settings.server.metrics_bind = "127.0.0.1:0".into();
    let (store, settings, guard) = fresh_store(Backend::Sqlite, settings).await.expect("store");
    let app = Application::with_store(settings, store)
        .await
        .expect("binds");
    let main = app.local_addr().expect("main address");
    let metrics = app.metrics_addr().expect("metrics address");
    tokio::spawn(app.run_until(std::future::pending()));
    let http = reqwest::Client::new();
    let public = http
        .get(format!("http://{main}/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(public.status(), 404);
    let private = http
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(private.status(), 200);
    let doc: serde_json::Value = http
        .get(format!("http://{main}/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(doc["paths"].get("/metrics").is_none());
    drop(guard);
}

#[tokio::test]
async fn an_over_long_request_id_is_replaced() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.expect("app");
    let get = |id: String| {
        app.http
            .get(format!("{}/healthz", app.address))
            .header("x-request-id", id)
            .send()
    };
    let kept = get("abc-123".into()).await.expect("sent");
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let long = "a".repeat(129);
    let replaced = get(long.clone()).await.expect("sent");
    let echoed = replaced.headers()["x-request-id"].to_str().expect("ascii");
    assert_ne!(echoed, long);
    assert!(echoed.len() <= 128);
}
