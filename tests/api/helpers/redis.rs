//! Redis for the shared-limit tests: the machine's (on 127.0.0.1:6379, with a fresh key prefix per
//! test, never flushed) or a redis-server of the test's own on a free port, which it may stop.
//! When LEADPOST_REQUIRE_REDIS is set (CI sets it) a missing Redis fails the test; otherwise it skips.

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leadpost::config::parse_bool;

/// The machine's Redis.
pub const MACHINE_REDIS: &str = "redis://127.0.0.1:6379";

fn redis_required() -> bool {
    std::env::var("LEADPOST_REQUIRE_REDIS").is_ok_and(|v| parse_bool(&v) == Some(true))
}

/// A key prefix no other test uses.
pub fn fresh_prefix() -> String {
    format!("leadpost-test:{}:", uuid::Uuid::now_v7())
}

async fn answers_ping(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let Ok(mut connection) = client.get_multiplexed_async_connection().await else {
        return false;
    };
    redis::cmd("PING")
        .query_async::<String>(&mut connection)
        .await
        .is_ok()
}

/// Whether the machine's Redis is there; `false` means skip (it fails when Redis is required).
pub async fn machine_redis() -> bool {
    if answers_ping(MACHINE_REDIS).await {
        return true;
    }
    assert!(!redis_required(), "no Redis on 127.0.0.1:6379");
    eprintln!(
        "SKIPPED: Redis not reachable on 127.0.0.1:6379; set LEADPOST_REQUIRE_REDIS=1 to fail instead"
    );
    false
}

/// A redis-server of the test's own, stopped when dropped.
pub struct OwnRedis {
    child: Child,
    pub url: String,
}

impl OwnRedis {
    /// Start one on a free loopback port; `None` (skip) when redis-server cannot run.
    pub async fn start() -> Option<OwnRedis> {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                assert!(!redis_required(), "cannot start redis-server: {error}");
                eprintln!("SKIPPED: cannot start redis-server: {error}");
                return None;
            }
        };
        let own = OwnRedis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if answers_ping(&own.url).await {
                return Some(own);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on {}", own.url);
    }

    /// Stop it now.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
