//! The admin routes that set up delivery: webhooks, action plans, and sending
//! one webhook for one client on demand.

use serde_json::json;

use crate::helpers::{TestApp, on_both_stores};

async fn a_webhook_is_created_and_its_generated_secret_shown_once(app: TestApp) {
    let account = app.account().await;
    let (status, created) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", account.id),
            json!({"name": "CRM", "url": "http://127.0.0.1:9/hook",
                   "headers": {"Authorization": "Bearer abc"}, "secret": true,
                   "body": {"name": "{{ client.firstName }}"}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_") && !secret.contains('*'));
    assert_eq!(created["headers"]["Authorization"], "Bearer ********");
    let (status, listed) = app
        .admin_get(&format!("/admin/v1/accounts/{}/webhooks", account.id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["webhooks"][0]["id"], created["id"]);
    assert_eq!(listed["webhooks"][0]["secret"], "whsec_********");
    assert!(!listed.to_string().contains(&secret));
}

async fn a_webhook_with_a_broken_template_or_preset_is_422_naming_the_field(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/webhooks", account.id);
    let (status, body) = app
        .admin_post(&path, json!({"name": "x", "url": "http://127.0.0.1:9/h", "body": {"n": "{{ client.firstName"}}))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["fields"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .starts_with("body"),
        "{body}"
    );
    let (status, body) = app
        .admin_post(&path, json!({"name": "AccuLynx", "preset": "acculynx"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "api_key", "{body}");
}

async fn a_webhook_for_an_unknown_account_is_404(app: TestApp) {
    let (status, _) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", uuid::Uuid::now_v7()),
            json!({"name": "x", "url": "http://127.0.0.1:9/h"}),
        )
        .await;
    assert_eq!(status, 404);
}

async fn an_action_plan_uses_only_the_accounts_own_webhooks(app: TestApp) {
    let (mine, theirs) = (app.account().await, app.account().await);
    let (_, their_hook) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", theirs.id),
            json!({"name": "x", "url": "http://127.0.0.1:9/h"}),
        )
        .await;
    let (_, my_hook) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", mine.id),
            json!({"name": "x", "url": "http://127.0.0.1:9/h"}),
        )
        .await;
    let path = format!("/admin/v1/accounts/{}/action-plans", mine.id);
    let (status, body) = app
        .admin_post(
            &path,
            json!({"name": "p", "steps": [{"webhook_id": their_hook["id"], "delay_seconds": 0}]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "steps");
    let (status, plan) = app
        .admin_post(
            &path,
            json!({"name": "p", "steps": [{"webhook_id": my_hook["id"], "delay_seconds": 60}]}),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["steps"][0]["delay_seconds"], 60);
    let (status, _) = app
        .admin_send(
            reqwest::Method::PATCH,
            &format!("/admin/v1/accounts/{}", mine.id),
            json!({"default_action_plan_id": plan["id"]}),
        )
        .await;
    assert_eq!(status, 200);
    let response = app
        .post_form(&[("web_key", mine.web_key.as_str()), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 200);
    let (_, jobs) = app
        .admin_get(&format!("/admin/v1/accounts/{}/jobs", mine.id))
        .await;
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(1), "{jobs}");
}

async fn send_webhook_queues_a_job_for_the_clients_own_webhook(app: TestApp) {
    let (mine, theirs) = (app.account().await, app.account().await);
    app.post_form(&[("web_key", mine.web_key.as_str()), ("name", "Ann")])
        .await;
    let client = app.latest_client(&mine).await.expect("client");
    let (_, hook) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", mine.id),
            json!({"name": "x", "url": "http://127.0.0.1:9/h"}),
        )
        .await;
    let (_, their_hook) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", theirs.id),
            json!({"name": "x", "url": "http://127.0.0.1:9/h"}),
        )
        .await;
    let send = |webhook: &serde_json::Value| {
        format!(
            "/admin/v1/clients/{}/send-webhook/{}",
            client.id,
            webhook["id"].as_str().unwrap_or_default()
        )
    };
    let (status, job) = app.admin_post(&send(&hook), json!({})).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(
        (job["kind"].as_str(), job["state"].as_str()),
        (Some("webhook"), Some("queued"))
    );
    let (status, _) = app.admin_post(&send(&their_hook), json!({})).await;
    assert_eq!(status, 404, "another account's webhook is not reachable");
}

on_both_stores!(
    a_webhook_is_created_and_its_generated_secret_shown_once,
    a_webhook_with_a_broken_template_or_preset_is_422_naming_the_field,
    a_webhook_for_an_unknown_account_is_404,
    an_action_plan_uses_only_the_accounts_own_webhooks,
    send_webhook_queues_a_job_for_the_clients_own_webhook,
);
