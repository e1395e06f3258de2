//! The HTTP listener: an accept loop that caps open connections (in all, and per
//! client IP so one peer cannot take every slot) and serves each connection with
//! hyper's HTTP/1, whose header-read timeout closes slow and idle connections.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::config::ServerSettings;

/// How many connections may be open, and how long a request head may take.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections in all; more wait in the kernel's backlog.
    pub max: usize,
    /// Open connections from one client IP; more are closed at once.
    pub per_ip: usize,
    /// Time allowed to receive a request's head, counted from the moment the
    /// connection waits for one (so it also ends idle keep-alive connections).
    pub header_read_timeout: Duration,
}

impl ConnectionLimits {
    /// The limits of `[server]`.
    pub fn from_settings(server: &ServerSettings) -> Self {
        ConnectionLimits {
            max: server.max_connections.max(1),
            per_ip: server
                .max_connections_per_ip
                .clamp(1, server.max_connections.max(1)),
            header_read_timeout: Duration::from_secs(server.header_read_timeout_seconds.max(1)),
        }
    }
}

/// The open connections, counted in all and per client IP.
#[derive(Clone)]
pub struct Slots {
    all: Arc<Semaphore>,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    per_ip_max: usize,
}

/// One open connection's slot, given back when dropped.
pub struct Slot {
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// Room for `limits.max` connections, `limits.per_ip` of them from one IP.
    pub fn new(limits: &ConnectionLimits) -> Self {
        Slots {
            all: Arc::new(Semaphore::new(limits.max)),
            per_ip: Arc::default(),
            per_ip_max: limits.per_ip,
        }
    }

    /// Wait for a free slot in all (before accepting: the backlog holds the rest).
    async fn free(&self) -> OwnedSemaphorePermit {
        match self.all.clone().acquire_owned().await {
            Ok(permit) => permit,
            // The semaphore is never closed.
            Err(_) => std::future::pending().await,
        }
    }

    /// A slot for a connection from `ip`, or `None` when that IP holds its share already.
    pub fn take(&self, ip: IpAddr, permit: OwnedSemaphorePermit) -> Option<Slot> {
        let mut counts = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(ip).or_default();
        if *count >= self.per_ip_max {
            return None;
        }
        *count += 1;
        Some(Slot {
            per_ip: self.per_ip.clone(),
            ip,
            _permit: permit,
        })
    }

    /// Connections open from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let counts = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(&ip).copied().unwrap_or_default()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Serve `router` on `listener` until `shutdown` completes, then wait for the
/// open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Slots::new(&limits);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper::service::service_fn(connection_service(router.clone(), peer));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Accept one connection that fits the limits; `None` when it was refused or failed.
async fn accept(listener: &TcpListener, slots: &Slots) -> Option<(TcpStream, SocketAddr, Slot)> {
    let permit = slots.free().await;
    match listener.accept().await {
        Ok((stream, peer)) => match slots.take(peer.ip(), permit) {
            Some(slot) => Some((stream, peer, slot)),
            None => {
                metrics::counter!("leadpost_connections_refused_total").increment(1);
                tracing::debug!(%peer, "connection refused: too many open from this address");
                None
            }
        },
        Err(e) => {
            // Out of file descriptors and the like: wait, then go on.
            tracing::warn!(error = %e, "accept failed");
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// A request being answered by the router.
type Answering =
    std::pin::Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>;

/// The router for one connection, with the peer address handlers read as `ConnectInfo`.
fn connection_service(
    router: Router,
    peer: SocketAddr,
) -> impl Fn(hyper::Request<Incoming>) -> Answering + Clone {
    move |request: hyper::Request<Incoming>| {
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(peer));
        Box::pin(router.clone().oneshot(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max: usize, per_ip: usize) -> Slots {
        Slots::new(&ConnectionLimits {
            max,
            per_ip,
            header_read_timeout: Duration::from_secs(1),
        })
    }

    #[tokio::test]
    async fn one_address_cannot_take_more_than_its_share() {
        let s = slots(4, 2);
        let ip = IpAddr::from([127, 0, 0, 1]);
        let a = s.take(ip, s.free().await).expect("first");
        let _b = s.take(ip, s.free().await).expect("second");
        assert!(s.take(ip, s.free().await).is_none(), "third refused");
        let other = IpAddr::from([127, 0, 0, 2]);
        assert!(
            s.take(other, s.free().await).is_some(),
            "another address fits"
        );
        drop(a);
        assert_eq!(s.open_from(ip), 1);
        assert!(
            s.take(ip, s.free().await).is_some(),
            "a closed slot is free again"
        );
    }

    #[test]
    fn the_per_ip_share_never_exceeds_the_total() {
        let server = ServerSettings {
            bind: String::new(),
            request_timeout_seconds: 30,
            max_connections: 8,
            max_connections_per_ip: 100,
            header_read_timeout_seconds: 0,
            shutdown_grace_seconds: 1,
            public_url: String::new(),
            metrics_bind: String::new(),
        };
        let limits = ConnectionLimits::from_settings(&server);
        assert_eq!(limits.per_ip, 8);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(1));
    }
}
