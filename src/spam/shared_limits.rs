//! Limits shared by every instance through Redis: requests per minute per key (an IP, a web_key) and
//! the login-failure lock. Each check is one atomic script on keys that expire by themselves, under
//! a configurable prefix. When Redis cannot be reached the limits fail open: the request goes on, a
//! warning naming Redis is logged and `leadpost_redis_errors_total` counts it.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

/// The key prefix when none is configured.
pub const DEFAULT_KEY_PREFIX: &str = "leadpost:";
/// How long one command may take before the limit fails open.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// The window a per-minute rate counts in.
const MINUTE_MS: u64 = 60_000;

/// One fixed window per key, started by its first request: KEYS[1] the counter; ARGV[1] the limit,
/// ARGV[2] the window in ms. Returns {allowed (1|0), ms until the window ends when refused}.
const RATE_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
if count > tonumber(ARGV[1]) then
  return {0, ttl}
end
return {1, 0}
";

/// A failed login: KEYS[1] the failure counter, KEYS[2] the lock; ARGV[1] failures that lock,
/// ARGV[2] the failure window in ms, ARGV[3] the lock in ms. Returns the ms the person stays locked
/// out (0: not locked).
const LOGIN_FAILURE_SCRIPT: &str = r"
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then
  return locked
end
local failures = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if failures >= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return tonumber(ARGV[3])
end
return 0
";

/// What a rate is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitScope {
    /// The client's IP address.
    Ip,
    /// The post's web_key.
    WebKey,
}

impl LimitScope {
    fn as_str(self) -> &'static str {
        match self {
            LimitScope::Ip => "ip",
            LimitScope::WebKey => "key",
        }
    }
}

/// Whether a request may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed,
    /// Over the rate: try again after this long.
    Limited {
        retry_after: Duration,
    },
}

/// Whether a person may try to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginLock {
    Open,
    /// Too many failures: locked out for this much longer.
    Locked {
        remaining: Duration,
    },
}

impl LoginLock {
    fn from_ms(ms: u64) -> LoginLock {
        if ms == 0 {
            LoginLock::Open
        } else {
            LoginLock::Locked {
                remaining: Duration::from_millis(ms),
            }
        }
    }
}

/// How many failed logins within a window lock a person out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lock: Duration,
}

impl Default for LoginPolicy {
    /// 10 failures in 15 minutes lock for 15 minutes.
    fn default() -> Self {
        LoginPolicy {
            max_failures: 10,
            window: Duration::from_secs(900),
            lock: Duration::from_secs(900),
        }
    }
}

/// Rate limits and login failures counted in one Redis for every instance.
#[derive(Clone)]
pub struct SharedLimits {
    connection: ConnectionManager,
    prefix: String,
    login: LoginPolicy,
    rate_script: Script,
    login_script: Script,
}

impl SharedLimits {
    /// Limits in the Redis at `url` (`redis://host:port/db`), keys under `prefix`. Connects on first
    /// use, so a Redis that is down at start-up only means no limits until it is back.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<SharedLimits, RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        Ok(SharedLimits {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: prefix.into(),
            login: LoginPolicy::default(),
            rate_script: Script::new(RATE_SCRIPT),
            login_script: Script::new(LOGIN_FAILURE_SCRIPT),
        })
    }

    /// The same limits with another login-failure policy.
    pub fn with_login_policy(self, login: LoginPolicy) -> SharedLimits {
        SharedLimits { login, ..self }
    }

    /// Count one request for `key` (an IP address or a web_key, as `scope` says) against
    /// `per_minute`, which is also the burst; 0 is no limit.
    pub async fn check(&self, scope: LimitScope, key: &str, per_minute: u32) -> RateDecision {
        if per_minute == 0 {
            return RateDecision::Allowed;
        }
        let counter = format!("{}rate:{}:{key}", self.prefix, scope.as_str());
        let answer: Result<(u8, u64), _> = self
            .rate_script
            .key(counter)
            .arg(per_minute)
            .arg(MINUTE_MS)
            .invoke_async(&mut self.connection.clone())
            .await;
        match answer {
            Ok((1, _)) => RateDecision::Allowed,
            Ok((_, wait_ms)) => RateDecision::Limited {
                retry_after: Duration::from_millis(wait_ms),
            },
            Err(error) => {
                redis_failed("rate limit", &error);
                RateDecision::Allowed
            }
        }
    }

    /// Count a failed login for `who`; the answer says whether they are now locked out.
    pub async fn login_failed(&self, who: &str) -> LoginLock {
        let answer: Result<u64, _> = self
            .login_script
            .key(self.failures_key(who))
            .key(self.lock_key(who))
            .arg(self.login.max_failures)
            .arg(millis(self.login.window))
            .arg(millis(self.login.lock))
            .invoke_async(&mut self.connection.clone())
            .await;
        answer.map_or_else(
            |error| {
                redis_failed("login failure count", &error);
                LoginLock::Open
            },
            LoginLock::from_ms,
        )
    }

    /// Whether `who` is locked out now.
    pub async fn login_lock(&self, who: &str) -> LoginLock {
        let answer: Result<i64, _> = redis::cmd("PTTL")
            .arg(self.lock_key(who))
            .query_async(&mut self.connection.clone())
            .await;
        answer.map_or_else(
            |error| {
                redis_failed("login lock", &error);
                LoginLock::Open
            },
            |ms| LoginLock::from_ms(u64::try_from(ms).unwrap_or(0)),
        )
    }

    /// A successful login forgets `who`'s earlier failures.
    pub async fn login_succeeded(&self, who: &str) {
        let answer: Result<u64, _> = redis::cmd("DEL")
            .arg(self.failures_key(who))
            .query_async(&mut self.connection.clone())
            .await;
        if let Err(error) = answer {
            redis_failed("login failure reset", &error);
        }
    }

    fn failures_key(&self, who: &str) -> String {
        format!("{}login:failures:{who}", self.prefix)
    }

    fn lock_key(&self, who: &str) -> String {
        format!("{}login:lock:{who}", self.prefix)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Fail open: log a warning naming Redis and count it.
fn redis_failed(what: &'static str, error: &RedisError) {
    tracing::warn!(%error, check = what, "Redis unavailable: shared limit not applied (fail open)");
    metrics::counter!("leadpost_redis_errors_total").increment(1);
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, TcpListener};
    use std::process::{Child, Command, Stdio};

    use super::LimitScope::{Ip, WebKey};
    use super::*;

    const MACHINE_REDIS: &str = "redis://127.0.0.1:6379";

    fn redis_required() -> bool {
        std::env::var_os("LEADPOST_REQUIRE_REDIS").is_some()
    }

    /// A fresh key prefix, so tests never see each other's counters.
    fn test_prefix() -> String {
        format!("leadpost-test:{}:", uuid::Uuid::now_v7())
    }

    /// Limits in the machine's Redis under a fresh prefix, or `None` (skip) when it is not running
    /// and LEADPOST_REQUIRE_REDIS is not set.
    async fn machine_limits() -> Option<SharedLimits> {
        let reachable = async {
            let client = redis::Client::open(MACHINE_REDIS).ok()?;
            let mut connection = client.get_multiplexed_async_connection().await.ok()?;
            redis::cmd("PING")
                .query_async::<String>(&mut connection)
                .await
                .ok()
        };
        if reachable.await.is_none() {
            assert!(!redis_required(), "no Redis on 127.0.0.1:6379");
            eprintln!("skipped: no Redis on 127.0.0.1:6379 (set LEADPOST_REQUIRE_REDIS to fail)");
            return None;
        }
        Some(SharedLimits::new(MACHINE_REDIS, test_prefix()).expect("redis url"))
    }

    /// A redis-server of the test's own on a free loopback port, stopped when dropped.
    struct OwnRedis {
        child: Child,
        url: String,
    }

    impl OwnRedis {
        /// `None` (skip) when redis-server is not installed and LEADPOST_REQUIRE_REDIS is not set.
        async fn start() -> Option<OwnRedis> {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let spawned = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
                .stdout(Stdio::null())
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(error) => {
                    assert!(!redis_required(), "cannot start redis-server: {error}");
                    eprintln!("skipped: cannot start redis-server: {error}");
                    return None;
                }
            };
            let own = OwnRedis {
                child,
                url: format!("redis://127.0.0.1:{port}"),
            };
            own.wait_until_ready().await;
            Some(own)
        }

        async fn wait_until_ready(&self) {
            let client = redis::Client::open(self.url.as_str()).expect("url");
            for _ in 0..100 {
                if let Ok(mut connection) = client.get_multiplexed_async_connection().await {
                    let pong: Result<String, _> =
                        redis::cmd("PING").query_async(&mut connection).await;
                    if pong.is_ok() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("redis-server did not start on {}", self.url);
        }

        fn stop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Drop for OwnRedis {
        fn drop(&mut self) {
            self.stop();
        }
    }

    fn is_limited(decision: RateDecision) -> bool {
        matches!(decision, RateDecision::Limited { .. })
    }

    #[tokio::test]
    async fn requests_within_the_rate_pass_and_the_next_one_waits() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        for _ in 0..3 {
            assert_eq!(limits.check(Ip, "a", 3).await, RateDecision::Allowed);
        }
        let RateDecision::Limited { retry_after } = limits.check(Ip, "a", 3).await else {
            panic!("the fourth request in a minute is limited");
        };
        assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(60));
    }

    #[tokio::test]
    async fn keys_and_scopes_are_counted_apart() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        assert_eq!(limits.check(Ip, "a", 1).await, RateDecision::Allowed);
        assert_eq!(limits.check(Ip, "b", 1).await, RateDecision::Allowed);
        assert_eq!(limits.check(WebKey, "a", 1).await, RateDecision::Allowed);
        assert!(is_limited(limits.check(Ip, "a", 1).await));
    }

    #[tokio::test]
    async fn a_rate_of_zero_is_no_limit() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        for _ in 0..5 {
            assert_eq!(limits.check(Ip, "a", 0).await, RateDecision::Allowed);
        }
    }

    #[tokio::test]
    async fn two_instances_share_one_budget() {
        let Some(first) = machine_limits().await else {
            return;
        };
        let second = SharedLimits::new(MACHINE_REDIS, first.prefix.clone()).expect("url");
        assert_eq!(first.check(WebKey, "k", 3).await, RateDecision::Allowed);
        assert_eq!(second.check(WebKey, "k", 3).await, RateDecision::Allowed);
        assert_eq!(first.check(WebKey, "k", 3).await, RateDecision::Allowed);
        assert!(is_limited(second.check(WebKey, "k", 3).await));
        assert!(is_limited(first.check(WebKey, "k", 3).await));
    }

    #[tokio::test]
    async fn counters_expire_by_themselves() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        limits.check(Ip, "a", 5).await;
        let mut connection = limits.connection.clone();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(format!("{}rate:ip:a", limits.prefix))
            .query_async(&mut connection)
            .await
            .expect("pttl");
        assert!(ttl > 0 && ttl <= 60_000, "ttl {ttl}");
    }

    #[tokio::test]
    async fn ten_login_failures_lock_for_fifteen_minutes() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        for _ in 0..9 {
            assert_eq!(
                limits.login_failed("ann@example.com").await,
                LoginLock::Open
            );
        }
        assert_eq!(limits.login_lock("ann@example.com").await, LoginLock::Open);
        let LoginLock::Locked { remaining } = limits.login_failed("ann@example.com").await else {
            panic!("the tenth failure locks");
        };
        assert!(remaining > Duration::from_secs(800) && remaining <= Duration::from_secs(900));
        assert!(matches!(
            limits.login_lock("ann@example.com").await,
            LoginLock::Locked { .. }
        ));
        assert_eq!(limits.login_lock("bob@example.com").await, LoginLock::Open);
    }

    #[tokio::test]
    async fn a_successful_login_forgets_earlier_failures() {
        let Some(limits) = machine_limits().await else {
            return;
        };
        let limits = limits.with_login_policy(LoginPolicy {
            max_failures: 2,
            ..LoginPolicy::default()
        });
        assert_eq!(limits.login_failed("ann").await, LoginLock::Open);
        limits.login_succeeded("ann").await;
        assert_eq!(limits.login_failed("ann").await, LoginLock::Open);
        assert!(matches!(
            limits.login_failed("ann").await,
            LoginLock::Locked { .. }
        ));
    }

    #[tokio::test]
    async fn limits_fail_open_when_redis_stops() {
        let Some(mut redis) = OwnRedis::start().await else {
            return;
        };
        let limits = SharedLimits::new(&redis.url, test_prefix()).expect("url");
        assert_eq!(limits.check(Ip, "a", 1).await, RateDecision::Allowed);
        assert!(is_limited(limits.check(Ip, "a", 1).await));
        for _ in 0..9 {
            limits.login_failed("ann").await;
        }
        assert!(matches!(
            limits.login_failed("ann").await,
            LoginLock::Locked { .. }
        ));

        redis.stop();
        assert_eq!(limits.check(Ip, "a", 1).await, RateDecision::Allowed);
        assert_eq!(limits.login_lock("ann").await, LoginLock::Open);
        assert_eq!(limits.login_failed("ann").await, LoginLock::Open);
    }

    #[tokio::test]
    async fn a_redis_that_is_down_from_the_start_fails_open() {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let limits =
            SharedLimits::new(&format!("redis://127.0.0.1:{port}"), test_prefix()).expect("url");
        assert_eq!(limits.check(Ip, "a", 1).await, RateDecision::Allowed);
        assert_eq!(limits.check(Ip, "a", 1).await, RateDecision::Allowed);
    }

    #[test]
    fn a_redis_failure_is_counted_in_the_metric() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let error = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        metrics::with_local_recorder(&recorder, || {
            redis_failed("rate limit", &error);
            redis_failed("login lock", &error);
        });
        assert!(
            handle.render().contains("leadpost_redis_errors_total 2"),
            "{}",
            handle.render()
        );
    }
}
