//! Abuse limits: requests per minute per client IP and per web_key (GCRA via
//! `governor`; the per-minute figure is also the burst), and a cap on open
//! connections. Without a Redis the rate limits are per process; with one
//! (`limits.redis_url`) every instance counts in it, sharing one budget.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::LimitSettings;
use crate::spam::shared_limits::DEFAULT_KEY_PREFIX;
use crate::spam::{LimitScope, RateDecision, SharedLimits};

/// The intake rate limits.
pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_key: Option<DefaultKeyedRateLimiter<String>>,
    trust_proxy: bool,
    /// Set when the limits are counted in a Redis shared by every instance.
    shared: Option<SharedRates>,
}

/// The limits counted in Redis.
struct SharedRates {
    redis: SharedLimits,
    per_ip_per_minute: u32,
    per_key_per_minute: u32,
}

impl SharedRates {
    async fn check(&self, scope: LimitScope, key: &str, per_minute: u32) -> Result<(), Duration> {
        match self.redis.check(scope, key, per_minute).await {
            RateDecision::Allowed => Ok(()),
            RateDecision::Limited { retry_after } => Err(retry_after),
        }
    }
}

/// The shared limits of `settings`, when a Redis is named (a URL that does not parse is refused
/// when the configuration is read; here it is logged and the limits stay per process).
fn shared_rates(settings: &LimitSettings) -> Option<SharedRates> {
    let url = settings.redis_url.trim();
    if url.is_empty() {
        return None;
    }
    let prefix = match settings.redis_key_prefix.trim() {
        "" => DEFAULT_KEY_PREFIX,
        prefix => prefix,
    };
    match SharedLimits::new(url, prefix) {
        Ok(redis) => Some(SharedRates {
            redis,
            per_ip_per_minute: settings.per_ip_per_minute,
            per_key_per_minute: settings.per_key_per_minute,
        }),
        Err(error) => {
            tracing::error!(%error, "the Redis URL is not usable; rate limits stay per process");
            None
        }
    }
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl RateLimits {
    /// Limits as configured; 0 turns a limit off.
    pub fn new(settings: &LimitSettings) -> Self {
        RateLimits {
            per_ip: limiter(settings.per_ip_per_minute),
            per_key: limiter(settings.per_key_per_minute),
            trust_proxy: settings.trust_proxy,
            shared: shared_rates(settings),
        }
    }

    /// The client's address: the socket peer, or the last `X-Forwarded-For` hop
    /// when the service sits behind a trusted proxy.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        if self.trust_proxy {
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(ip) = forwarded {
                return ip;
            }
        }
        peer.ip()
    }

    /// `Err(wait)` when this IP is over its rate.
    pub async fn check_ip(&self, ip: IpAddr) -> Result<(), Duration> {
        match &self.shared {
            Some(shared) => {
                let key = ip.to_string();
                shared
                    .check(LimitScope::Ip, &key, shared.per_ip_per_minute)
                    .await
            }
            None => check(self.per_ip.as_ref(), &ip),
        }
    }

    /// `Err(wait)` when this web_key is over its rate.
    pub async fn check_key(&self, key: &str) -> Result<(), Duration> {
        match &self.shared {
            Some(shared) => {
                shared
                    .check(LimitScope::WebKey, key, shared.per_key_per_minute)
                    .await
            }
            None => check(self.per_key.as_ref(), &key.to_string()),
        }
    }

    /// Forget idle keys so the tables stay small.
    pub fn shrink(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
        }
        if let Some(l) = &self.per_key {
            l.retain_recent();
        }
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), Duration> {
    match limiter {
        None => Ok(()),
        Some(l) => l
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now())),
    }
}

/// A TCP listener that holds at most `max` connections open; more wait in the
/// kernel's backlog until one closes.
pub struct LimitedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max: usize) -> Self {
        LimitedListener {
            inner,
            permits: Arc::new(Semaphore::new(max.max(1))),
        }
    }
}

/// A connection that gives its slot back when it closes.
pub struct LimitedStream {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl LimitedStream {
    /// The TCP stream itself.
    pub fn tcp(&self) -> &TcpStream {
        &self.stream
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok(permit) = self.permits.clone().acquire_owned().await else {
                // The semaphore is never closed; wait forever rather than spin.
                std::future::pending::<()>().await;
                continue;
            };
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    return (
                        LimitedStream {
                            stream,
                            _permit: permit,
                        },
                        addr,
                    );
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    drop(permit);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_ip: u32, per_key: u32, trust_proxy: bool) -> RateLimits {
        RateLimits::new(&LimitSettings {
            per_ip_per_minute: per_ip,
            per_key_per_minute: per_key,
            trust_proxy,
            ..LimitSettings::default()
        })
    }

    #[tokio::test]
    async fn zero_means_no_limit() {
        let l = limits(0, 0, false);
        for _ in 0..1000 {
            assert!(l.check_ip(IpAddr::from([127, 0, 0, 1])).await.is_ok());
            assert!(l.check_key("k").await.is_ok());
        }
    }

    #[tokio::test]
    async fn the_per_minute_figure_is_also_the_burst() {
        let l = limits(3, 0, false);
        let ip = IpAddr::from([127, 0, 0, 1]);
        for _ in 0..3 {
            assert!(l.check_ip(ip).await.is_ok());
        }
        let wait = l.check_ip(ip).await.expect_err("fourth is refused");
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(20));
        assert!(
            l.check_ip(IpAddr::from([127, 0, 0, 2])).await.is_ok(),
            "other IPs are counted apart"
        );
    }

    #[tokio::test]
    async fn keys_are_limited_apart() {
        let l = limits(0, 1, false);
        assert!(l.check_key("a").await.is_ok());
        assert!(l.check_key("a").await.is_err());
        assert!(l.check_key("b").await.is_ok());
    }

    #[test]
    fn forwarded_for_is_used_only_behind_a_trusted_proxy() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "::1, 127.0.0.9".parse().expect("header"));
        assert_eq!(limits(0, 0, false).client_ip(peer, &headers), peer.ip());
        assert_eq!(
            limits(0, 0, true).client_ip(peer, &headers),
            IpAddr::from([127, 0, 0, 9])
        );
    }
}
