//! Rate limits shared through Redis: several `serve` processes spend one budget, and a Redis that
//! goes away turns the limits off (fail open) without touching readiness.

use crate::helpers::process::ServeProcess;
use crate::helpers::redis::{MACHINE_REDIS, OwnRedis, fresh_prefix, machine_redis};
use crate::helpers::{Backend, INTAKE, spawn_app_with};

/// POST an empty form to a running service; the status.
async fn post_status(http: &reqwest::Client, base: &str) -> u16 {
    http.post(format!("{base}{INTAKE}"))
        .form(&[("name", "Ann")])
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_serve_processes_share_one_per_ip_budget() {
    if !machine_redis().await {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("shared.db").display());
    let prefix = fresh_prefix();
    let start = || {
        ServeProcess::start(&db, &[], |command| {
            command
                .env("LEADPOST_REDIS_URL", MACHINE_REDIS)
                .env("LEADPOST_REDIS_KEY_PREFIX", &prefix)
                .env("LEADPOST_RATE_LIMIT_PER_IP", "3");
        })
    };
    let first = start();
    let second = start();
    let http = reqwest::Client::new();
    let a = first.address.clone();
    let b = second.address.clone();
    for base in [&a, &b, &a] {
        assert_ne!(post_status(&http, base).await, 429);
    }
    assert_eq!(
        post_status(&http, &b).await,
        429,
        "the fourth post in the minute, wherever it lands"
    );
    assert_eq!(post_status(&http, &a).await, 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_fail_open_when_redis_stops_and_readiness_stays_up() {
    let Some(mut redis) = OwnRedis::start().await else {
        return;
    };
    let url = redis.url.clone();
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        settings.limits.redis_url = url;
        settings.limits.redis_key_prefix = fresh_prefix();
        settings.limits.per_ip_per_minute = 2;
    })
    .await
    .expect("sqlite app");
    for _ in 0..2 {
        assert_ne!(post_status(&app.http, &app.address).await, 429);
    }
    assert_eq!(post_status(&app.http, &app.address).await, 429);
    redis.stop();
    for _ in 0..3 {
        assert_ne!(
            post_status(&app.http, &app.address).await,
            429,
            "no Redis: no limit"
        );
    }
    assert_eq!(app.get("/readyz").await.status(), 200);
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(metrics.contains("leadpost_redis_errors_total"), "{metrics}");
}
