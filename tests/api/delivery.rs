//! Webhook delivery against real receivers on loopback: templates, retries, Retry-After, signatures, delays, the address guard and
//! on-demand sends. The worker is driven one step at a time with `run_once`.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use leadpost::actions::WebhookRequest;
use leadpost::delivery::Worker;
use leadpost::store::{Account, Job, NewActionPlan, Page, PlanStep, Webhook};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, on_both_stores};
use crate::receiver::Receiver;

pub(crate) fn worker_with(app: &TestApp, schedule: &[u64], allow_private: bool) -> Worker {
    let mut settings = app.worker_settings(schedule);
    settings.allow_private_targets = allow_private;
    Worker::new(app.store.clone(), settings)
        .expect("worker")
        .with_metrics(app.metrics.clone())
}

pub(crate) fn worker(app: &TestApp, schedule: &[u64]) -> Worker {
    worker_with(app, schedule, true)
}

pub(crate) async fn webhook(
    app: &TestApp,
    account: &Account,
    request: Value,
) -> (Webhook, Option<String>) {
    let request: WebhookRequest = serde_json::from_value(request).expect("request");
    let (new, secret) = request.prepare().expect("valid webhook");
    let hook = app
        .store
        .create_webhook(account.id, &new)
        .await
        .expect("webhook created");
    (hook, secret)
}

/// Make `steps` the account's default plan.
pub(crate) async fn default_plan(app: &TestApp, account: &Account, steps: &[(Uuid, i64)]) {
    let plan = app
        .store
        .create_action_plan(
            account.id,
            &NewActionPlan {
                name: "plan".into(),
                steps: steps
                    .iter()
                    .map(|&(webhook_id, delay_seconds)| PlanStep {
                        webhook_id,
                        delay_seconds,
                    })
                    .collect(),
            },
        )
        .await
        .expect("plan");
    app.store
        .set_default_action_plan(account.id, Some(plan.id))
        .await
        .expect("default plan");
}

pub(crate) async fn post_lead(app: &TestApp, key: &str, pairs: &[(&str, &str)]) {
    let mut all = vec![("web_key", key)];
    all.extend_from_slice(pairs);
    let response = app.post_form(&all).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

pub(crate) async fn jobs(app: &TestApp, account: &Account) -> Vec<Job> {
    let mut jobs = app
        .store
        .list_jobs(account.id, Page::first(100))
        .await
        .expect("jobs");
    jobs.reverse();
    jobs
}

pub(crate) async fn only_job(app: &TestApp, account: &Account) -> Job {
    let jobs = jobs(app, account).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs.into_iter().next().expect("a job")
}

/// One lead through a one-step plan to `hook`.
pub(crate) async fn lead_for(
    app: &TestApp,
    hook: &Webhook,
    account: &Account,
    pairs: &[(&str, &str)],
) {
    default_plan(app, account, &[(hook.id, 0)]).await;
    post_lead(app, &account.web_key, pairs).await;
}

async fn a_body_template_renders_the_client_and_omits_empty_leaves(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(
        &app,
        &account,
        json!({"name": "CRM", "url": format!("{}/hook", receiver.url), "method": "PUT",
        "headers": {"X-Api-Key": "k"},
        "body": {
            "who": "{{ client.firstName }} {{ client.lastName }}",
            "phone": "{{ client.phone }}",
            "choc": "{{ custom[\"Favorite Chocolate\"] }}",
            "tags": "{{ tags | join(\",\") }}",
            "source": "{{ lead_source.name }}",
            "account": "{{ account.name }}",
            "board": "{{ client.whiteboard }}",
            "fixed": 7,
            "anniversary": "{{ client.anniversary_1 }}",
        }}),
    )
    .await;
    lead_for(
        &app,
        &hook,
        &account,
        &[
            ("name", "Ann O\"Lee"),
            ("tag", "vip,roof"),
            ("Favorite Chocolate", "Dark \"70%\""),
            ("whiteboard", "line 1\nline 2 {}"),
            ("anniversary_1", "2020:02:29"),
        ],
    )
    .await;
    worker(&app, &[1]).run_once().await.expect("runs");
    let request = &receiver.received()[0];
    assert_eq!(request.method, "PUT");
    assert_eq!(request.header("x-api-key").as_deref(), Some("k"));
    assert_eq!(
        request.json(),
        json!({
            "who": "Ann O\"Lee",
            "choc": "Dark \"70%\"",
            "tags": "vip,roof",
            "account": "Acme Roofing",
            "board": "line 1\nline 2 {}",
            "fixed": 7,
            "anniversary": "2020-02-29",
        })
    );
}

async fn a_template_that_fails_to_render_kills_the_job_with_a_readable_error(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(
        &app,
        &account,
        json!({"name": "CRM", "url": receiver.url, "body": {"x": "{{ tags | no_such_filter }}"}}),
    )
    .await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    worker(&app, &[1, 1]).run_once().await.expect("runs");
    let job = only_job(&app, &account).await;
    assert_eq!(job.state, "dead");
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    let error = attempts[0].error.clone().expect("an error");
    assert!(error.contains("body.x"), "{error}");
    assert!(error.contains("no_such_filter"), "{error}");
    assert_eq!(receiver.count(), 0);
}

async fn two_503s_then_200_is_delivered_on_the_third_attempt_with_one_webhook_id(app: TestApp) {
    let receiver = Receiver::start(vec![(503, vec![]), (503, vec![])]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let worker = worker(&app, &[0, 0, 0]);
    for _ in 0..3 {
        assert_eq!(worker.run_once().await.expect("runs"), 1);
    }
    assert_eq!(worker.run_once().await.expect("runs"), 0);
    let job = only_job(&app, &account).await;
    assert_eq!((job.state.as_str(), job.attempts), ("delivered", 3));
    let ids: Vec<_> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id"))
        .collect();
    assert_eq!(ids, vec![Some(job.message_id.clone()); 3]);
    let statuses: Vec<_> = app
        .store
        .list_job_attempts(job.id)
        .await
        .expect("attempts")
        .iter()
        .map(|a| a.status_code)
        .collect();
    assert_eq!(statuses, vec![Some(503), Some(503), Some(200)]);
}

async fn the_request_id_of_the_post_is_kept_in_the_attempt_log(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    default_plan(&app, &account, &[(hook.id, 0)]).await;
    let response = app
        .post_form(&[("web_key", account.web_key.as_str()), ("name", "Ann")])
        .await;
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_eq!(worker(&app, &[1]).run_once().await.expect("runs"), 1);
    let job = only_job(&app, &account).await;
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts[0].request_id.as_deref(), Some(request_id.as_str()));
}

async fn delivery_attempts_are_counted_by_kind_and_outcome_in_metrics(app: TestApp) {
    let receiver = Receiver::start(vec![(503, vec![])]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let worker = worker(&app, &[0]);
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    let text = app.get("/metrics").await.text().await.expect("text");
    for expected in [
        r#"leadpost_delivery_attempts_total{kind="webhook",outcome="retrying"} 1"#,
        r#"leadpost_delivery_attempts_total{kind="webhook",outcome="delivered"} 1"#,
    ] {
        assert!(text.contains(expected), "missing {expected} in\n{text}");
    }
}

/// The count of a histogram in `/metrics` (0 before anything was recorded).
async fn histogram_count(app: &TestApp, name: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.expect("text");
    let prefix = format!("{name}_count ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |count| count.trim().parse().expect("a count"))
}

async fn an_attempt_is_recorded_in_a_group_counted_in_metrics(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let histogram = match app.backend {
        Backend::Sqlite => "leadpost_group_commit_size",
        Backend::Postgres => "leadpost_attempt_group_size",
    };
    let before = histogram_count(&app, histogram).await;
    assert_eq!(worker(&app, &[0]).run_once().await.expect("runs"), 1);
    assert_eq!(histogram_count(&app, histogram).await, before + 1);
}

async fn a_400_is_dead_after_one_attempt(app: TestApp) {
    let receiver = Receiver::start(vec![(400, vec![])]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let worker = worker(&app, &[0, 0, 0]);
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    assert_eq!(worker.run_once().await.expect("runs"), 0);
    let job = only_job(&app, &account).await;
    assert_eq!((job.state.as_str(), job.attempts), ("dead", 1));
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts[0].status_code, Some(400));
    assert_eq!(attempts[0].response.as_deref(), Some("answer body"));
    assert_eq!(receiver.count(), 1);
}

async fn an_answer_with_nul_and_invalid_utf8_is_logged_with_them_replaced(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    receiver.set_body(b"ok\0then\xffend");
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    assert_eq!(worker(&app, &[0]).run_once().await.expect("runs"), 1);
    let job = only_job(&app, &account).await;
    assert_eq!((job.state.as_str(), job.attempts), ("delivered", 1));
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(
        attempts[0].response.as_deref(),
        Some("ok\u{FFFD}then\u{FFFD}end")
    );
}

async fn a_schedule_of_three_retries_gives_four_attempts_then_dead(app: TestApp) {
    let receiver = Receiver::start(vec![(500, vec![]); 10]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let worker = worker(&app, &[0, 0, 0]);
    while worker.run_once().await.expect("runs") > 0 {}
    let job = only_job(&app, &account).await;
    assert_eq!((job.state.as_str(), job.attempts), ("dead", 4));
    assert_eq!(receiver.count(), 4);
}

async fn a_timeout_or_a_refused_connection_is_retried(app: TestApp) {
    let slow = Receiver::start(vec![]).await;
    slow.set_delay(Duration::from_millis(2500));
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let account = app.account().await;
    let (slow_hook, _) = webhook(&app, &account, json!({"name": "slow", "url": slow.url})).await;
    let (closed_hook, _) = webhook(&app, &account, json!({"name": "closed", "url": closed})).await;
    default_plan(&app, &account, &[(slow_hook.id, 0), (closed_hook.id, 0)]).await;
    post_lead(&app, &account.web_key, &[("name", "Ann")]).await;
    let mut settings = app.settings.delivery.clone();
    settings.allow_private_targets = true;
    settings.retry_schedule = vec![60];
    settings.concurrency = 4;
    settings.timeout_seconds = 1;
    let worker = Worker::new(app.store.clone(), settings).expect("worker");
    assert_eq!(worker.run_once().await.expect("runs"), 2);
    let jobs = jobs(&app, &account).await;
    let errors: Vec<_> = jobs
        .iter()
        .map(|j| (j.state.as_str(), j.last_error.clone().unwrap_or_default()))
        .collect();
    assert_eq!(errors[0], ("retrying", "timed out after 1 s".to_string()));
    assert_eq!(errors[1].0, "retrying");
    assert!(
        errors[1].1.contains("error sending request"),
        "{}",
        errors[1].1
    );
}

async fn a_429_retry_after_is_honoured(app: TestApp) {
    let receiver = Receiver::start(vec![(429, vec![("retry-after", "2")])]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    let worker = worker(&app, &[0]);
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    let job = only_job(&app, &account).await;
    assert_eq!(job.state, "retrying");
    let wait = job.due_at - time::OffsetDateTime::now_utc();
    assert!(wait > time::Duration::milliseconds(1500), "{wait}");
    assert_eq!(
        worker.run_once().await.expect("runs"),
        0,
        "not before Retry-After"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    assert_eq!(only_job(&app, &account).await.state, "delivered");
    assert_eq!(receiver.count(), 2);
}

async fn a_signed_webhook_verifies_with_the_standard_webhooks_algorithm(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, secret) = webhook(
        &app,
        &account,
        json!({"name": "h", "url": receiver.url, "secret": true}),
    )
    .await;
    let secret = secret.expect("a secret is returned once");
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    worker(&app, &[1]).run_once().await.expect("runs");
    let request = &receiver.received()[0];
    let id = request.header("webhook-id").expect("webhook-id");
    let timestamp = request.header("webhook-timestamp").expect("timestamp");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - timestamp.parse::<i64>().expect("unix seconds")).abs() < 60);
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(request.header("webhook-signature"), Some(expected));
}

async fn an_unsigned_webhook_still_carries_id_and_timestamp(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    lead_for(&app, &hook, &account, &[("name", "Ann")]).await;
    worker(&app, &[1]).run_once().await.expect("runs");
    let request = &receiver.received()[0];
    assert!(request.header("webhook-id").is_some());
    assert!(request.header("webhook-timestamp").is_some());
    assert!(request.header("webhook-signature").is_none());
    // No template: the whole context is sent.
    assert_eq!(request.json()["client"]["firstName"], "Ann");
}

async fn a_delayed_step_is_not_sent_before_it_is_due(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (now_hook, _) = webhook(
        &app,
        &account,
        json!({"name": "now", "url": format!("{}/now", receiver.url)}),
    )
    .await;
    let (later_hook, _) = webhook(
        &app,
        &account,
        json!({"name": "later", "url": format!("{}/later", receiver.url)}),
    )
    .await;
    default_plan(&app, &account, &[(now_hook.id, 0), (later_hook.id, 2)]).await;
    post_lead(&app, &account.web_key, &[("name", "Ann")]).await;
    let worker = worker(&app, &[1]);
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    assert_eq!(worker.run_once().await.expect("runs"), 0);
    let paths: Vec<_> = receiver.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/now"]);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(worker.run_once().await.expect("runs"), 1);
    let paths: Vec<_> = receiver.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, vec!["/now", "/later"]);
}

async fn the_address_guard_refuses_loopback_after_resolving_and_kills_the_job(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let port = receiver.url.rsplit(':').next().expect("port").to_string();
    let account = app.account().await;
    for host in ["localhost", "127.0.0.1"] {
        let (hook, _) = webhook(
            &app,
            &account,
            json!({"name": host, "url": format!("http://{host}:{port}/")}),
        )
        .await;
        let client = {
            post_lead(&app, &account.web_key, &[("name", host)]).await;
            app.latest_client(&account).await.expect("client")
        };
        app.store
            .queue_webhook_job(client.id, hook.id)
            .await
            .expect("queued");
    }
    assert_eq!(
        worker_with(&app, &[0, 0], false)
            .run_once()
            .await
            .expect("runs"),
        2
    );
    for job in jobs(&app, &account).await {
        assert_eq!((job.state.as_str(), job.attempts), ("dead", 1));
        let error = job.last_error.expect("an error");
        assert!(error.contains("refused target"), "{error}");
    }
    assert_eq!(receiver.count(), 0, "no connection is made");
}

async fn a_webhook_is_sent_on_demand_for_one_client(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let other = app.account().await;
    let (hook, _) = webhook(&app, &account, json!({"name": "h", "url": receiver.url})).await;
    let (their_hook, _) = webhook(&app, &other, json!({"name": "h", "url": receiver.url})).await;
    post_lead(&app, &account.web_key, &[("name", "Ann")]).await;
    let client = app.latest_client(&account).await.expect("client");
    assert!(jobs(&app, &account).await.is_empty());
    assert!(matches!(
        app.store.queue_webhook_job(client.id, their_hook.id).await,
        Err(leadpost::store::StoreError::NotFound)
    ));
    let job = app
        .store
        .queue_webhook_job(client.id, hook.id)
        .await
        .expect("queued");
    assert_eq!(job.state, "queued");
    worker(&app, &[1]).run_once().await.expect("runs");
    assert_eq!(
        receiver.received()[0].header("webhook-id"),
        Some(job.message_id)
    );
    assert_eq!(only_job(&app, &account).await.state, "delivered");
}

async fn a_lead_source_runs_its_own_plan_and_templates_see_its_name(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(
        &app,
        &account,
        json!({"name": "h", "url": receiver.url, "body": {"source": "{{ lead_source.name }}"}}),
    )
    .await;
    let plan = app
        .store
        .create_action_plan(
            account.id,
            &NewActionPlan {
                name: "p".into(),
                steps: vec![PlanStep {
                    webhook_id: hook.id,
                    delay_seconds: 0,
                }],
            },
        )
        .await
        .expect("plan");
    let source = app.lead_source(&account, Some(plan.id)).await;
    post_lead(&app, &source.web_key, &[("name", "Ann")]).await;
    post_lead(&app, &account.web_key, &[("name", "Bo")]).await;
    assert_eq!(
        jobs(&app, &account).await.len(),
        1,
        "the account key runs no plan"
    );
    worker(&app, &[1]).run_once().await.expect("runs");
    assert_eq!(receiver.received()[0].json(), json!({"source": "Website"}));
}

async fn a_webhook_worker_without_notify_settings_skips_email_and_text(app: TestApp) {
    let account = app
        .store
        .create_account(&leadpost::store::NewAccount {
            name: "A".into(),
            owner_email: Some("owner@example.com".into()),
            owner_phone: Some("8015550000".into()),
            web_key: None,
        })
        .await
        .expect("account");
    post_lead(
        &app,
        &account.web_key,
        &[("name", "Ann"), ("new_lead_notification", "2")],
    )
    .await;
    assert_eq!(worker(&app, &[1]).run_once().await.expect("runs"), 2);
    let states: Vec<_> = jobs(&app, &account)
        .await
        .into_iter()
        .map(|j| (j.kind.to_string(), j.state.to_string()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("email".to_string(), "skipped".to_string()),
            ("sms".to_string(), "skipped".to_string())
        ]
    );
}

on_both_stores!(
    a_body_template_renders_the_client_and_omits_empty_leaves,
    a_template_that_fails_to_render_kills_the_job_with_a_readable_error,
    two_503s_then_200_is_delivered_on_the_third_attempt_with_one_webhook_id,
    a_400_is_dead_after_one_attempt,
    an_answer_with_nul_and_invalid_utf8_is_logged_with_them_replaced,
    the_request_id_of_the_post_is_kept_in_the_attempt_log,
    delivery_attempts_are_counted_by_kind_and_outcome_in_metrics,
    an_attempt_is_recorded_in_a_group_counted_in_metrics,
    a_schedule_of_three_retries_gives_four_attempts_then_dead,
    a_429_retry_after_is_honoured,
    a_timeout_or_a_refused_connection_is_retried,
    a_signed_webhook_verifies_with_the_standard_webhooks_algorithm,
    an_unsigned_webhook_still_carries_id_and_timestamp,
    a_delayed_step_is_not_sent_before_it_is_due,
    the_address_guard_refuses_loopback_after_resolving_and_kills_the_job,
    a_webhook_is_sent_on_demand_for_one_client,
    a_lead_source_runs_its_own_plan_and_templates_see_its_name,
    a_webhook_worker_without_notify_settings_skips_email_and_text,
);
