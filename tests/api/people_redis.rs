//! The login lockout shared through Redis: failures counted by one instance lock the email on
//! every instance sharing the Redis, and a Redis that goes away turns the lockout off (fail open).

use leadpost::app::Application;

use crate::helpers::people::{PASSWORD, email};
use crate::helpers::redis::{MACHINE_REDIS, OwnRedis, fresh_prefix, machine_redis};
use crate::helpers::{Backend, TestApp, spawn_app_with};

/// `POST /console/login` on the service at `base`; the status.
async fn login_status(app: &TestApp, base: &str, email: &str, password: &str) -> u16 {
    app.http
        .post(format!("{base}/console/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("login sent")
        .status()
        .as_u16()
}

/// A second instance of the service on the same store and settings as `app`; its address.
async fn second_instance(app: &TestApp) -> String {
    let second = Application::with_store(app.settings.clone(), app.store.clone())
        .await
        .expect("binds");
    let address = format!("http://{}", second.local_addr().expect("bound address"));
    tokio::spawn(second.run_until(std::future::pending()));
    address
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_sharing_one_redis_share_the_lockout() {
    if !machine_redis().await {
        return;
    }
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let prefix = fresh_prefix();
        let Some(app) = spawn_app_with(backend, |settings| {
            settings.limits.redis_url = MACHINE_REDIS.into();
            settings.limits.redis_key_prefix = prefix;
        })
        .await
        else {
            continue;
        };
        let second = second_instance(&app).await;
        let email = email("shared-lock");
        app.user(&email).await;
        for attempt in 0..10 {
            let base = if attempt % 2 == 0 {
                &app.address
            } else {
                &second
            };
            assert_eq!(
                login_status(&app, base, &email, "wrong password!").await,
                401
            );
        }
        for base in [&app.address, &second] {
            assert_eq!(
                login_status(&app, base, &email, PASSWORD).await,
                429,
                "ten failures spread over two instances lock the email on both"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lockout_fails_open_when_redis_stops() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(mut redis) = OwnRedis::start().await else {
            return;
        };
        let url = redis.url.clone();
        let Some(app) = spawn_app_with(backend, |settings| {
            settings.limits.redis_url = url;
            settings.limits.redis_key_prefix = fresh_prefix();
        })
        .await
        else {
            continue;
        };
        let email = email("open-lock");
        app.user(&email).await;
        for _ in 0..10 {
            login_status(&app, &app.address, &email, "wrong password!").await;
        }
        assert_eq!(
            login_status(&app, &app.address, &email, PASSWORD).await,
            429
        );
        redis.stop();
        assert_eq!(
            login_status(&app, &app.address, &email, PASSWORD).await,
            303,
            "no Redis: no lockout"
        );
        let metrics = app.get("/metrics").await.text().await.expect("metrics");
        assert!(metrics.contains("leadpost_redis_errors_total"), "{metrics}");
    }
}
