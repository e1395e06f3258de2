//! Crossing the spam line after the fact: releasing kept spam into a client, and marking a client
//! as spam.

use leadpost::spam::SpamReason;
use leadpost::store::{Outcome, Page};
use serde_json::json;

use crate::helpers::spam::{person, with};
use crate::helpers::{TestApp, account_with_plan, on_both_stores};

/// Post `pairs` as spam (honeypot filled); the kept submission's id.
async fn keep_spam(app: &TestApp, account: &leadpost::store::Account, key: &str) -> uuid::Uuid {
    let pairs = with(
        person(key),
        &[("_lp_hp", "x"), ("new_lead_notification", "1")],
    );
    assert_eq!(app.post_form(&pairs).await.status(), 200);
    app.submissions(account, Outcome::Spam).await[0].id
}

async fn release(app: &TestApp, id: uuid::Uuid) -> (u16, serde_json::Value) {
    app.admin_post(&format!("/admin/v1/submissions/{id}/release"), json!({}))
        .await
}

async fn releasing_spam_makes_the_client_with_its_jobs_and_notification(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    let id = keep_spam(&app, &account, &key).await;
    let (status, body) = release(&app, id).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["client"]["firstName"], "Ann");
    assert_eq!(body["client"]["email"], "ann@example.com");
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "queued");
    let (_, notes) = app
        .admin_get(&format!("/admin/v1/accounts/{}/notifications", account.id))
        .await;
    assert_eq!(notes["notifications"][0]["kind"], "new_lead");
}

async fn a_released_submission_stays_spam_and_names_its_client(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    let id = keep_spam(&app, &account, &key).await;
    let (_, body) = release(&app, id).await;
    let kept = app.store.get_submission(id).await.expect("kept");
    assert_eq!(kept.outcome, Outcome::Spam);
    assert_eq!(
        kept.released_client_id.map(|c| c.to_string()),
        body["client"]["id"].as_str().map(str::to_string)
    );
    assert!(kept.released_at.is_some());
}

async fn a_second_release_is_409(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    let id = keep_spam(&app, &account, &key).await;
    assert_eq!(release(&app, id).await.0, 201);
    assert_eq!(release(&app, id).await.0, 409);
    assert_eq!(app.client_count(&account).await, 1);
}

async fn releasing_what_is_not_spam_is_409(app: TestApp) {
    let account = app.account().await;
    app.post_form(&person(&account.web_key)).await;
    let accepted = app.submissions(&account, Outcome::Accepted).await[0].id;
    assert_eq!(release(&app, accepted).await.0, 409);
}

async fn a_release_with_a_taken_email_is_ct103_and_stays_spam(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    let id = keep_spam(&app, &account, &key).await;
    app.post_form(&person(&account.web_key)).await;
    let (status, body) = release(&app, id).await;
    assert_eq!(status, 409);
    assert_eq!(body["error_code"], "ct103");
    let kept = app.store.get_submission(id).await.expect("kept");
    assert_eq!(kept.outcome, Outcome::Spam);
    assert_eq!(kept.release_error_code.as_deref(), Some("ct103"));
    assert!(kept.released_client_id.is_none());
    let (_, notes) = app
        .admin_get(&format!("/admin/v1/accounts/{}/notifications", account.id))
        .await;
    assert_eq!(notes["notifications"][0]["kind"], "duplicate");
}

async fn marking_a_client_spam_removes_it_and_skips_its_jobs(app: TestApp) {
    let (account, key) = account_with_plan(&app).await;
    let pairs = with(
        person(&key),
        &[("tag", "vip"), ("notes", "call me"), ("color", "red")],
    );
    app.post_form(&pairs).await;
    let client = app.latest_client(&account).await.expect("client");
    let response = app
        .admin(
            reqwest::Method::POST,
            &format!("/admin/v1/clients/{}/spam", client.id),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(app.client_count(&account).await, 0);
    let (status, _) = app
        .admin_get(&format!("/admin/v1/clients/{}", client.id))
        .await;
    assert_eq!(status, 404);
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "skipped");
    assert_eq!(jobs[0].last_error.as_deref(), Some("marked spam"));
}

async fn a_client_marked_spam_leaves_its_submission_as_manual_spam(app: TestApp) {
    let account = app.account().await;
    app.post_form(&person(&account.web_key)).await;
    let client = app.latest_client(&account).await.expect("client");
    app.admin(
        reqwest::Method::POST,
        &format!("/admin/v1/clients/{}/spam", client.id),
    )
    .send()
    .await
    .expect("sent");
    let spam = app.submissions(&account, Outcome::Spam).await;
    assert_eq!(spam.len(), 1);
    assert_eq!(spam[0].spam_reasons, [SpamReason::Manual]);
}

async fn marking_an_unknown_client_spam_is_404(app: TestApp) {
    let response = app
        .admin(
            reqwest::Method::POST,
            &format!("/admin/v1/clients/{}/spam", uuid::Uuid::now_v7()),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 404);
}

on_both_stores!(
    releasing_spam_makes_the_client_with_its_jobs_and_notification,
    a_released_submission_stays_spam_and_names_its_client,
    a_second_release_is_409,
    releasing_what_is_not_spam_is_409,
    a_release_with_a_taken_email_is_ct103_and_stays_spam,
    marking_a_client_spam_removes_it_and_skips_its_jobs,
    a_client_marked_spam_leaves_its_submission_as_manual_spam,
    marking_an_unknown_client_spam_is_404,
);
