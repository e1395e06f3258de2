//! Abuse limits: requests per minute per client IP and per web_key (GCRA via
//! `governor`; the per-minute figure is also the burst), and a cap on open
//! connections. Without a Redis the rate limits are per process; with one
//! (`limits.redis_url`) every instance counts in it, sharing one budget.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::LimitSettings;
use crate::spam::shared_limits::DEFAULT_KEY_PREFIX;
use crate::spam::{LimitScope, RateDecision, SharedLimits};

/// The intake rate limits.
pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Keyed by a hash of (web_key, client IP): a small fixed-size entry per pair,
    /// whatever the key's length.
    per_key: Option<DefaultKeyedRateLimiter<u64>>,
    hasher: RandomState,
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

/// The Redis of `settings` with its key prefix, when one is named (a URL that does not parse is
/// refused when the configuration is read; here it is logged and the limits stay per process).
pub fn shared_redis(settings: &LimitSettings) -> Option<SharedLimits> {
    let url = settings.redis_url.trim();
    if url.is_empty() {
        return None;
    }
    let prefix = match settings.redis_key_prefix.trim() {
        "" => DEFAULT_KEY_PREFIX,
        prefix => prefix,
    };
    SharedLimits::new(url, prefix)
        .inspect_err(|error| {
            tracing::error!(%error, "the Redis URL is not usable; limits stay per process");
        })
        .ok()
}

/// The shared rate limits of `settings`, when a Redis is named.
fn shared_rates(settings: &LimitSettings) -> Option<SharedRates> {
    shared_redis(settings).map(|redis| SharedRates {
        redis,
        per_ip_per_minute: settings.per_ip_per_minute,
        per_key_per_minute: settings.per_key_per_minute,
    })
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
            hasher: RandomState::new(),
            trust_proxy: settings.trust_proxy,
            shared: shared_rates(settings),
        }
    }

    /// The client's address: the socket peer, or the last `X-Forwarded-For` hop
    /// when the service sits behind a trusted proxy. A last hop that does not parse
    /// gives the peer, never an earlier (client-written) hop.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        if self.trust_proxy {
            let last_hop = headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next_back())
                .and_then(|hop| hop.trim().parse::<IpAddr>().ok());
            if let Some(ip) = last_hop {
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

    /// `Err(wait)` when this web_key is over its rate for posts from this IP.
    pub async fn check_key(&self, key: &str, ip: IpAddr) -> Result<(), Duration> {
        match &self.shared {
            Some(shared) => {
                let pair = format!("{key}|{ip}");
                shared
                    .check(LimitScope::WebKey, &pair, shared.per_key_per_minute)
                    .await
            }
            None => check(self.per_key.as_ref(), &self.hasher.hash_one((key, ip))),
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
            assert!(l.check_key("k", IpAddr::from([127, 0, 0, 1])).await.is_ok());
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
        let ip = IpAddr::from([127, 0, 0, 1]);
        assert!(l.check_key("a", ip).await.is_ok());
        assert!(l.check_key("a", ip).await.is_err());
        assert!(l.check_key("b", ip).await.is_ok());
    }

    #[tokio::test]
    async fn a_key_is_limited_per_client_ip() {
        let l = limits(0, 1, false);
        assert!(l.check_key("a", IpAddr::from([127, 0, 0, 1])).await.is_ok());
        assert!(
            l.check_key("a", IpAddr::from([127, 0, 0, 1]))
                .await
                .is_err()
        );
        assert!(
            l.check_key("a", IpAddr::from([127, 0, 0, 2])).await.is_ok(),
            "another address still has the key's budget"
        );
    }

    #[test]
    fn an_unparsable_last_forwarded_hop_gives_the_peer() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("addr");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "127.0.0.9, junk".parse().expect("header"),
        );
        assert_eq!(limits(0, 0, true).client_ip(peer, &headers), peer.ip());
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
