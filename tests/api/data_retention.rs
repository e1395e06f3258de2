//! Retention (DESIGN §14, §15 "Data"): an account's settings through `/retention` and `/spam`, and
//! the purge's boundaries — a row one second inside its window stays, one second outside goes.

use leadpost::store::Outcome;
use reqwest::Method;
use serde_json::json;
use time::Duration;

use crate::helpers::spam::{person, with};
use crate::helpers::{TestApp, on_both_stores};

fn retention_path(account: &leadpost::store::Account) -> String {
    format!("/admin/v1/accounts/{}/retention", account.id)
}

async fn retention_reads_back_the_defaults(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app.admin_get(&retention_path(&account)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"submission_log_days": 90, "spam_retention_days": 30, "lead_days": null})
    );
}

async fn spam_retention_is_one_setting_through_retention_and_spam(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &retention_path(&account),
            json!({"spam_retention_days": 7, "lead_days": 365}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["spam_retention_days"], 7);
    let (_, spam) = app
        .admin_get(&format!("/admin/v1/accounts/{}/spam", account.id))
        .await;
    assert_eq!(spam["spam_retention_days"], 7);
    app.set_spam(&account, json!({"spam_retention_days": 9}))
        .await;
    let (_, body) = app.admin_get(&retention_path(&account)).await;
    assert_eq!(
        body,
        json!({"submission_log_days": 90, "spam_retention_days": 9, "lead_days": 365})
    );
}

async fn retention_days_must_be_whole_numbers_of_at_least_one(app: TestApp) {
    let account = app.account().await;
    for (body, field) in [
        (json!({"submission_log_days": 0}), "submission_log_days"),
        (json!({"spam_retention_days": null}), "spam_retention_days"),
        (json!({"lead_days": 1.5}), "lead_days"),
        (json!({"lead_days": -3}), "lead_days"),
        (json!({"submission_log_days": "ten"}), "submission_log_days"),
    ] {
        let (status, answer) = app
            .admin_send(Method::PATCH, &retention_path(&account), body.clone())
            .await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer.to_string().contains(field), "{body}: {answer}");
    }
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &retention_path(&account),
            json!({"lead_days": null}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lead_days"], json!(null));
}

/// Post one lead for a new account; the account and the lead's submission.
async fn one_lead(app: &TestApp) -> (leadpost::store::Account, leadpost::store::Submission) {
    let account = app.account().await;
    assert_eq!(app.post_form(&person(&account.web_key)).await.status(), 200);
    let submission = app.submissions(&account, Outcome::Accepted).await.remove(0);
    (account, submission)
}

async fn a_submission_keeps_its_fields_one_second_inside_the_window_and_loses_them_outside(
    app: TestApp,
) {
    let (account, submission) = one_lead(&app).await;
    let window = submission.created_at + Duration::days(90);
    let counts = app.purge_at(window - Duration::seconds(1)).await;
    assert_eq!(counts.submissions, 0);
    let kept = app.store.get_submission(submission.id).await.expect("kept");
    assert!(!kept.fields.is_empty());
    let counts = app.purge_at(window + Duration::seconds(1)).await;
    assert_eq!(counts.submissions, 1);
    let stripped = app.store.get_submission(submission.id).await.expect("kept");
    assert!(stripped.fields.is_empty());
    assert_eq!(stripped.remote_ip, None);
    assert_eq!(stripped.outcome, Outcome::Accepted);
    assert_eq!(stripped.created_at, submission.created_at);
    assert_eq!(
        app.client_count(&account).await,
        1,
        "leads are kept forever"
    );
}

async fn spam_is_kept_one_second_inside_its_retention_and_deleted_outside(app: TestApp) {
    let account = app.account().await;
    let pairs = with(person(&account.web_key), &[("_lp_hp", "x")]);
    assert_eq!(app.post_form(&pairs).await.status(), 200);
    let spam = app.submissions(&account, Outcome::Spam).await.remove(0);
    let window = spam.created_at + Duration::days(30);
    assert_eq!(app.purge_at(window - Duration::seconds(1)).await.spam, 0);
    assert_eq!(app.submissions(&account, Outcome::Spam).await.len(), 1);
    assert_eq!(app.purge_at(window + Duration::seconds(1)).await.spam, 1);
    assert!(app.submissions(&account, Outcome::Spam).await.is_empty());
}

async fn leads_older_than_lead_days_are_erased(app: TestApp) {
    let (account, submission) = one_lead(&app).await;
    let (status, _) = app
        .admin_send(
            Method::PATCH,
            &retention_path(&account),
            json!({"lead_days": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let window = submission.created_at + Duration::days(2);
    assert_eq!(app.purge_at(window - Duration::seconds(1)).await.leads, 0);
    assert_eq!(app.client_count(&account).await, 1);
    assert_eq!(app.purge_at(window + Duration::seconds(2)).await.leads, 1);
    assert_eq!(app.client_count(&account).await, 0);
}

async fn the_purge_route_answers_what_it_removed_and_stripped(app: TestApp) {
    let (account, submission) = one_lead(&app).await;
    let spam = with(person(&account.web_key), &[("_lp_hp", "x")]);
    app.post_form(&spam).await;
    app.exec("UPDATE submissions SET created_at = '2001-01-01T00:00:00.000000Z'")
        .await;
    let (status, body) = app.admin_post("/admin/v1/purge", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"submissions": 1, "spam": 1, "leads": 0}));
    let stripped = app.store.get_submission(submission.id).await.expect("kept");
    assert!(stripped.fields.is_empty());
    let (_, again) = app.admin_post("/admin/v1/purge", json!({})).await;
    assert_eq!(again, json!({"submissions": 0, "spam": 0, "leads": 0}));
}

async fn the_purge_goes_through_more_rows_than_one_batch(app: TestApp) {
    let account = app.account().await;
    for i in 0..3 {
        let email = format!("lead{i}@example.com");
        let pairs = [
            ("web_key", account.web_key.as_str()),
            ("name", "Ann Lee"),
            ("email", email.as_str()),
        ];
        assert_eq!(app.post_form(&pairs).await.status(), 200);
    }
    let originals = app.submissions(&account, Outcome::Accepted).await;
    assert_eq!(originals.len(), 3);
    // Copies of the rows, enough to need two batches.
    let copies = (0..600)
        .map(|_| {
            format!(
                "INSERT INTO submissions (id, account_id, outcome, fields, created_at) \
                 SELECT '{}', account_id, outcome, fields, '2001-01-01T00:00:00.000000Z' \
                 FROM submissions LIMIT 1;",
                uuid::Uuid::now_v7()
            )
        })
        .collect::<String>();
    app.exec(&copies).await;
    let counts = app.purge_at(time::OffsetDateTime::now_utc()).await;
    assert_eq!(counts.submissions, 600);
    for original in &originals {
        let kept = app.store.get_submission(original.id).await.expect("kept");
        assert!(!kept.fields.is_empty(), "a new submission keeps its fields");
    }
}

async fn only_operators_may_purge_and_members_may_not_change_retention(app: TestApp) {
    let account = app.account().await;
    let owner = app.api_token(&account, "owner").await;
    let (status, _) = app
        .as_token(&owner, Method::POST, "/admin/v1/purge", Some(json!({})))
        .await;
    assert_eq!(status, 403);
    let member = app.api_token(&account, "write").await;
    let path = retention_path(&account);
    let (status, _) = app
        .as_token(&member, Method::PATCH, &path, Some(json!({"lead_days": 5})))
        .await;
    assert_eq!(status, 403);
    let viewer = app.api_token(&account, "read").await;
    assert_eq!(app.as_token(&viewer, Method::GET, &path, None).await.0, 200);
    let (status, _) = app
        .as_token(&owner, Method::PATCH, &path, Some(json!({"lead_days": 5})))
        .await;
    assert_eq!(status, 200);
}

on_both_stores!(
    retention_reads_back_the_defaults,
    spam_retention_is_one_setting_through_retention_and_spam,
    retention_days_must_be_whole_numbers_of_at_least_one,
    a_submission_keeps_its_fields_one_second_inside_the_window_and_loses_them_outside,
    spam_is_kept_one_second_inside_its_retention_and_deleted_outside,
    leads_older_than_lead_days_are_erased,
    the_purge_route_answers_what_it_removed_and_stripped,
    the_purge_goes_through_more_rows_than_one_batch,
    only_operators_may_purge_and_members_may_not_change_retention,
);
