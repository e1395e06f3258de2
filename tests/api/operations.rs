//! Running it on the open internet: metrics, abuse limits, JSON logs, losing the
//! database and getting it back, and a crash under load losing no lead.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use leadpost::store::{
    AccountStore, ClientFilter, ClientStore, Page, PgStore, SqliteStore, Store, SubmissionFilter,
};
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::process::ServeProcess;
use crate::helpers::{Backend, TestApp, base_settings, on_both_stores, spawn_app_with};

async fn metrics_text(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

async fn metrics_count_requests_leads_rejections_and_queue_depth(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        ("new_lead_notification", "2"),
    ])
    .await;
    app.post_form(&[("web_key", "nope"), ("name", "Ann")]).await;
    let text = metrics_text(&app).await;
    for expected in [
        r#"leadpost_http_requests_total{route="/v1/external-api/external-form-lead",status="200"} 1"#,
        r#"leadpost_http_requests_total{route="/v1/external-api/external-form-lead",status="401"} 1"#,
        "leadpost_leads_accepted_total 1",
        r#"leadpost_submissions_rejected_total{error_code="ct101"} 1"#,
        r#"leadpost_jobs{state="skipped"} 2"#,
        r#"leadpost_jobs{state="delivered"} 0"#,
        "leadpost_http_request_duration_seconds_bucket",
        r#"leadpost_db_pool_connections{state="max"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

async fn the_group_a_lead_is_committed_in_is_counted_once(app: TestApp) {
    let account = app.account().await;
    let answer = app
        .post_form(&[("web_key", &account.web_key), ("name", "Ann")])
        .await;
    assert_eq!(answer.status(), 200);
    let text = metrics_text(&app).await;
    let expected = match app.backend {
        Backend::Sqlite => "leadpost_group_commit_size_count 1",
        Backend::Postgres => "leadpost_lead_group_size_count 1",
    };
    assert!(text.contains(expected), "missing {expected} in\n{text}");
}

on_both_stores!(
    metrics_count_requests_leads_rejections_and_queue_depth,
    the_group_a_lead_is_committed_in_is_counted_once,
);

#[tokio::test]
async fn the_per_ip_limit_answers_429_ct106_with_retry_after_and_no_redirect() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.per_ip_per_minute = 2)
        .await
        .expect("app");
    let account = app.account().await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann"),
        ("OnErrorURL", "http://localhost/oops"),
    ];
    for _ in 0..2 {
        assert_ne!(app.post_form(&pairs).await.status(), 429);
    }
    let response = app.post_form(&pairs).await;
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct106");
    // Rate-limited posts are counted in metrics, not written to the submission log.
    let log = app
        .store
        .list_submissions(&SubmissionFilter::default(), Page::first(10))
        .await
        .expect("log");
    assert_eq!(
        log.len(),
        2,
        "the first post and its replay, no ct106: {log:?}"
    );
    assert!(log.iter().all(|s| s.error_code.as_deref() != Some("ct106")));
    // Health checks are not intake posts and are never limited.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn the_per_key_limit_counts_each_web_key_apart() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.limits.per_key_per_minute = 1)
        .await
        .expect("app");
    let (a, b) = (app.account().await, app.account().await);
    assert_eq!(
        app.post_form(&[("web_key", &a.web_key), ("name", "Ann")])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_form(&[("web_key", &a.web_key), ("name", "Bo")])
            .await
            .status(),
        429
    );
    assert_eq!(
        app.post_form(&[("web_key", &b.web_key), ("name", "Bo")])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn oversized_and_unsupported_posts_are_not_logged() {
    let app = spawn_app_with(Backend::Sqlite, |s| s.intake.body_limit = 1024)
        .await
        .expect("app");
    assert_eq!(
        app.post_raw(None, "a=".to_string() + &"x".repeat(2048))
            .await
            .status(),
        413
    );
    assert_eq!(
        app.post_raw(Some("text/plain"), "name=Ann").await.status(),
        415
    );
    let log = app
        .store
        .list_submissions(&SubmissionFilter::default(), Page::first(10))
        .await
        .expect("log");
    assert!(log.is_empty());
}

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct CuttableProxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl CuttableProxy {
    async fn start(target: (String, u16)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let mut cut_rx = cut2.subscribe();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        CuttableProxy { port, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn losing_postgres_gives_ct105_and_the_service_recovers_without_restart() {
    let Some((url, schema)) = crate::helpers::create_test_schema().await else {
        return;
    };
    let direct: PgConnectOptions = url.parse().expect("url");
    let proxy = CuttableProxy::start((direct.get_host().to_string(), direct.get_port())).await;
    let mut settings = base_settings();
    settings.database.acquire_timeout_seconds = 1;
    let options = crate::helpers::schema_options(&url, &schema)
        .host("127.0.0.1")
        .port(proxy.port);
    let store: Arc<dyn Store> = Arc::new(PgStore::with_options(options, &settings.database));
    store.migrate().await.expect("migrations through the proxy");
    let app = crate::helpers::serve(
        store,
        settings,
        crate::helpers::GuardHandle::postgres(crate::helpers::schema_options(&url, &schema)),
        Backend::Postgres,
    )
    .await;
    let account = app.account().await;
    let post = |name: &'static str| {
        app.post_form_owned(vec![
            ("web_key", account.web_key.clone()),
            ("name", name.to_string()),
        ])
    };
    assert_eq!(post("Before").await.status(), 200);

    proxy.cut();
    for _ in 0..3 {
        let response = post("During").await;
        assert_eq!(response.status(), 503);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error_code"], "ct105");
    }
    let ready = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 503);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..20 {
        if post("After").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "posts succeed again once the database is back");
    let ready = app
        .http
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 200);
    let names: Vec<String> = app
        .store
        .list_clients(account.id, &ClientFilter::default(), Page::first(10))
        .await
        .expect("listed")
        .into_iter()
        .map(|c| c.fields.first_name().to_string())
        .collect();
    assert_eq!(names, vec!["After".to_string(), "Before".to_string()]);
}

#[tokio::test]
async fn a_crash_under_load_loses_no_acknowledged_lead() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("crash.db").display());
    let setup = SqliteStore::connect(&leadpost::config::DatabaseSettings {
        url: db.clone(),
        ..base_settings().database
    })
    .await
    .expect("opens");
    setup.migrate().await.expect("migrated");
    let account = setup
        .create_account(&leadpost::store::NewAccount {
            name: "A".into(),
            ..Default::default()
        })
        .await
        .expect("account");
    let mut served = ServeProcess::start(&db, &[], |_| {});
    let http = reqwest::Client::new();
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (http, address, key) = (
            http.clone(),
            served.address.clone(),
            account.web_key.clone(),
        );
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let email = format!("w{worker}-{i}@example.com");
                let sent = http
                    .post(format!("{address}/v1/external-api/external-form-lead"))
                    .form(&[
                        ("web_key", key.as_str()),
                        ("name", "Load Test"),
                        ("email", &email),
                    ])
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => acknowledged.lock().expect("lock").push(email),
                    Ok(_) => {}
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let the load run, then kill the server without warning.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    served.stop("-KILL");
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > 20,
        "the load ran: {} leads acknowledged",
        acknowledged.len()
    );

    // Restart on the same file: every acknowledged lead is there.
    let restarted = ServeProcess::start(&db, &[], |_| {});
    let store = SqliteStore::connect(&leadpost::config::DatabaseSettings {
        url: db.clone(),
        ..base_settings().database
    })
    .await
    .expect("opens");
    let mut stored = HashSet::new();
    let mut page = Page::first(500);
    loop {
        let clients = store
            .list_clients(account.id, &ClientFilter::default(), page)
            .await
            .expect("listed");
        stored.extend(
            clients
                .iter()
                .filter_map(|c| c.fields.email().map(String::from)),
        );
        match clients.last() {
            Some(last) if clients.len() == 500 => page.after = Some(last.id),
            _ => break,
        }
    }
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|e| !stored.contains(*e))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged leads lost: {missing:?}",
        missing.len()
    );
    drop(restarted);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("logs.db").display());
    let mut serve = ServeProcess::start(&db, &[], |command| {
        command.env("LEADPOST_LOG_FORMAT", "json");
    });
    let address = serve.address.clone();
    let response = reqwest::Client::new()
        .post(format!("{address}/v1/external-api/external-form-lead"))
        .form(&[("web_key", "nope"), ("name", "Ann")])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status(), 401);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(serve.stop("-TERM").success());
    let seen = serve.log();
    for line in &seen {
        let _: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(
        seen.iter().any(|l| l.contains(&request_id)),
        "the request id {request_id} appears in the logs"
    );
}
