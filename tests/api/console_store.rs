//! The store methods behind the console's operational pages, on both backends: queueing every
//! dead job of a webhook again, and deleting kept spam.

use leadpost::store::{JobState, Outcome};

use crate::helpers::spam::{person, with};
use crate::helpers::{TestApp, on_both_stores};

/// A lead whose one webhook job has died; the account, the webhook and the job.
async fn dead_job(app: &TestApp) -> (uuid::Uuid, uuid::Uuid, uuid::Uuid) {
    let account = app.account().await;
    let (webhook_id, job_id) = crate::helpers::console_ops::dead_job(app, &account).await;
    (account.id, webhook_id, job_id)
}

async fn the_dead_jobs_of_a_webhook_are_queued_again(app: TestApp) {
    let (account_id, webhook_id, job_id) = dead_job(&app).await;
    let count = app
        .store
        .retry_dead_jobs(account_id, webhook_id)
        .await
        .expect("retried");
    assert_eq!(count, 1);
    let job = app.store.get_job(job_id).await.expect("job");
    assert_eq!((job.state.as_str(), job.attempts), ("queued", 0));
    let again = app
        .store
        .retry_dead_jobs(account_id, webhook_id)
        .await
        .expect("retried");
    assert_eq!(again, 0, "a queued job is not dead");
}

async fn retrying_dead_jobs_of_another_account_changes_nothing(app: TestApp) {
    let (_, webhook_id, job_id) = dead_job(&app).await;
    let other = app.account().await;
    let count = app
        .store
        .retry_dead_jobs(other.id, webhook_id)
        .await
        .expect("retried");
    assert_eq!(count, 0);
    let job = app.store.get_job(job_id).await.expect("job");
    assert_eq!(job.state, JobState::Dead);
}

async fn kept_spam_of_the_account_is_deleted_and_nothing_else(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let spam = with(person(&source.web_key), &[("_lp_hp", "x")]);
    assert_eq!(app.post_form(&spam).await.status(), 200);
    assert_eq!(app.post_form(&person(&source.web_key)).await.status(), 200);
    let kept = app.submissions(&account, Outcome::Spam).await;
    let accepted = app.submissions(&account, Outcome::Accepted).await;
    let other = app.account().await;
    let ids = [kept[0].id, accepted[0].id];
    let foreign = app
        .store
        .delete_spam_submissions(other.id, &ids)
        .await
        .expect("deleted");
    assert_eq!(foreign, 0, "another account's spam stays");
    let deleted = app
        .store
        .delete_spam_submissions(account.id, &ids)
        .await
        .expect("deleted");
    assert_eq!(deleted, 1, "only the spam goes");
    assert!(app.submissions(&account, Outcome::Spam).await.is_empty());
    assert_eq!(app.submissions(&account, Outcome::Accepted).await.len(), 1);
}

on_both_stores!(
    the_dead_jobs_of_a_webhook_are_queued_again,
    retrying_dead_jobs_of_another_account_changes_nothing,
    kept_spam_of_the_account_is_deleted_and_nothing_else,
);
