//! Erasure (DESIGN §14, §15 "Data"): one lead by id, one person by email; afterwards no table of
//! the schema carries the email in any case.

use leadpost::delivery::Worker;
use leadpost::store::{Account, Page};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, account_with_plan, on_both_stores};

const EMAIL: &str = "Zed.Erase@Example.com";

/// A lead with the email in mixed case, a tag, a custom value and an in-app notification.
fn lead<'a>(key: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("web_key", key),
        ("name", "Zed Erase"),
        ("email", email),
        ("tag", "roof"),
        ("Backup Email", "zed.erase@example.com"),
        ("new_lead_notification", "1"),
    ]
}

async fn erase(app: &TestApp, account: &Account, email: &str) -> (u16, serde_json::Value) {
    app.admin_post(
        &format!("/admin/v1/accounts/{}/erase", account.id),
        json!({"email": email}),
    )
    .await
}

async fn deleting_a_client_answers_204_and_it_is_gone(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    assert_eq!(app.post_form(&lead(&key, EMAIL)).await.status(), 200);
    let client = app.latest_client(&account).await.expect("client");
    let path = format!("/admin/v1/clients/{}", client.id);
    let response = app.admin(Method::DELETE, &path).send().await.expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(app.admin_get(&path).await.0, 404);
    let again = app.admin(Method::DELETE, &path).send().await.expect("sent");
    assert_eq!(again.status(), 404);
}

async fn erasing_a_client_skips_its_waiting_jobs_and_forgets_its_double_submit(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    assert_eq!(app.post_form(&lead(&key, EMAIL)).await.status(), 200);
    let client = app.latest_client(&account).await.expect("client");
    let path = format!("/admin/v1/clients/{}", client.id);
    app.admin(Method::DELETE, &path).send().await.expect("sent");
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "skipped");
    assert_eq!(app.post_form(&lead(&key, EMAIL)).await.status(), 200);
    let again = app.latest_client(&account).await.expect("a new client");
    assert_ne!(again.id, client.id);
}

async fn erasing_an_email_leaves_it_in_no_table(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    assert_eq!(app.post_form(&lead(&key, EMAIL)).await.status(), 200);
    // A duplicate (ct103 and a Duplicate Record notification), a rejected post, a spam post.
    let duplicate = lead(&key, "ZED.ERASE@EXAMPLE.COM");
    assert_eq!(app.post_form(&duplicate).await.status(), 409);
    let rejected = [("web_key", key.as_str()), ("email", EMAIL), ("phone", "12")];
    assert_ne!(app.post_form(&rejected).await.status(), 200);
    let spam = [
        ("web_key", key.as_str()),
        ("name", "Zed"),
        ("email", EMAIL),
        ("_lp_hp", "x"),
    ];
    assert_eq!(app.post_form(&spam).await.status(), 200);
    // One delivery attempt, whose receiver answer echoed the lead.
    let worker = Worker::new(app.store.clone(), app.worker_settings(&[3600])).expect("worker");
    worker.run_once().await.expect("worker runs");
    app.exec("UPDATE job_attempts SET response = '{\"email\":\"zed.erase@example.com\"}'")
        .await;
    assert!(!app.tables_carrying(EMAIL).await.is_empty());

    let (status, body) = erase(&app, &account, "zed.ERASE@example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"clients": 1, "submissions": 4}));
    assert_eq!(
        app.tables_carrying(EMAIL).await,
        Vec::<(String, i64)>::new()
    );
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    assert!(jobs.iter().all(|j| j.state == "skipped"), "{jobs:?}");
}

async fn erasing_an_unknown_email_answers_zeros(app: TestApp) {
    let account = app.account().await;
    let (status, body) = erase(&app, &account, "nobody@example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"clients": 0, "submissions": 0}));
    let (status, _) = erase(&app, &account, "  ").await;
    assert_eq!(status, 422);
}

async fn erasure_is_for_owners(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    app.post_form(&lead(&key, EMAIL)).await;
    let client = app.latest_client(&account).await.expect("client");
    let member = app.api_token(&account, "write").await;
    let path = format!("/admin/v1/clients/{}", client.id);
    assert_eq!(
        app.as_token(&member, Method::DELETE, &path, None).await.0,
        403
    );
    let erase_path = format!("/admin/v1/accounts/{}/erase", account.id);
    let body = Some(json!({"email": EMAIL}));
    assert_eq!(
        app.as_token(&member, Method::POST, &erase_path, body.clone())
            .await
            .0,
        403
    );
    let owner = app.api_token(&account, "owner").await;
    assert_eq!(
        app.as_token(&owner, Method::DELETE, &path, None).await.0,
        204
    );
}

on_both_stores!(
    deleting_a_client_answers_204_and_it_is_gone,
    erasing_a_client_skips_its_waiting_jobs_and_forgets_its_double_submit,
    erasing_an_email_leaves_it_in_no_table,
    erasing_an_unknown_email_answers_zeros,
    erasure_is_for_owners,
);
