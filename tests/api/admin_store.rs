//! The admin side of the store (accounts, keys, plans, the queue), method by method, on both backends.

use leadpost::store::{
    AccountChanges, ClientFilter, JobFilter, JobState, NewActionPlan, NewLeadSource, NewWebhook,
    Page, PlanStep, RetryOutcome, StoreError, new_id,
};
use serde_json::json;

use crate::helpers::{TestApp, on_both_stores};

async fn plan_for(app: &TestApp, account_id: uuid::Uuid) -> (uuid::Uuid, uuid::Uuid) {
    let hook = app
        .store
        .create_webhook(
            account_id,
            &NewWebhook {
                name: "w".into(),
                url: "http://127.0.0.1:9/".into(),
                method: "POST".into(),
                headers: json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let plan = app
        .store
        .create_action_plan(
            account_id,
            &NewActionPlan {
                name: "p".into(),
                steps: vec![
                    PlanStep {
                        webhook_id: hook.id,
                        delay_seconds: 0,
                    },
                    PlanStep {
                        webhook_id: hook.id,
                        delay_seconds: 30,
                    },
                ],
            },
        )
        .await
        .expect("plan");
    (hook.id, plan.id)
}

async fn update_account_changes_only_what_is_given(app: TestApp) {
    let account = app.account().await;
    let (_, plan) = plan_for(&app, account.id).await;
    let changed = app
        .store
        .update_account(
            account.id,
            &AccountChanges {
                owner_email: Some(Some("o@example.com".into())),
                default_action_plan_id: Some(Some(plan)),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    assert_eq!(changed.name, account.name);
    assert_eq!(changed.owner_email.as_deref(), Some("o@example.com"));
    assert_eq!(changed.default_action_plan_id, Some(plan));
    assert_eq!(changed.web_key, account.web_key);
    let cleared = app
        .store
        .update_account(
            account.id,
            &AccountChanges {
                owner_email: Some(None),
                default_action_plan_id: Some(None),
                ..Default::default()
            },
        )
        .await
        .expect("cleared");
    assert_eq!(
        (cleared.owner_email, cleared.default_action_plan_id),
        (None, None)
    );
    let other = app.account().await;
    let foreign = app
        .store
        .update_account(
            other.id,
            &AccountChanges {
                default_action_plan_id: Some(Some(plan)),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(foreign, Err(StoreError::NotFound)));
    let missing = app
        .store
        .update_account(new_id(), &AccountChanges::default())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

async fn rotate_web_key_retires_only_the_owners_current_key(app: TestApp) {
    let account = app.account().await;
    let source = app
        .store
        .create_lead_source(
            account.id,
            &NewLeadSource {
                name: "S".into(),
                ..Default::default()
            },
        )
        .await
        .expect("source");
    let rotated = app
        .store
        .rotate_web_key(account.id, None, "NEW_ACCOUNT_KEY", 0)
        .await
        .expect("rotated");
    assert_eq!(
        rotated.previous_web_key.as_deref(),
        Some(account.web_key.as_str())
    );
    assert!(
        app.store
            .find_key_owner(&account.web_key)
            .await
            .expect("resolves")
            .is_none()
    );
    assert!(
        app.store
            .find_key_owner("NEW_ACCOUNT_KEY")
            .await
            .expect("resolves")
            .is_some()
    );
    assert!(
        app.store
            .find_key_owner(&source.web_key)
            .await
            .expect("resolves")
            .is_some(),
        "the lead source's key is untouched"
    );
    let taken = app
        .store
        .rotate_web_key(account.id, Some(source.id), "NEW_ACCOUNT_KEY", 0)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict("web_key"))));
    let other = app.account().await;
    let foreign = app
        .store
        .rotate_web_key(other.id, Some(source.id), "X_KEY", 0)
        .await;
    assert!(matches!(foreign, Err(StoreError::NotFound)));
    let graced = app
        .store
        .rotate_web_key(account.id, Some(source.id), "SRC_NEW", 600)
        .await
        .expect("rotated");
    assert!(graced.previous_expires_at.is_some());
    assert!(
        app.store
            .find_key_owner(&source.web_key)
            .await
            .expect("resolves")
            .is_some()
    );
    let read = app
        .store
        .get_lead_source(account.id, source.id)
        .await
        .expect("read");
    assert_eq!(read.web_key, "SRC_NEW");
}

async fn lead_sources_plans_and_webhooks_are_scoped_to_their_account(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    let (hook, plan) = plan_for(&app, account.id).await;
    let source = app
        .store
        .create_lead_source(
            account.id,
            &NewLeadSource {
                name: "S".into(),
                ..Default::default()
            },
        )
        .await
        .expect("source");
    assert!(matches!(
        app.store.get_lead_source(other.id, source.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.get_action_plan(other.id, plan).await,
        Err(StoreError::NotFound)
    ));
    let read = app
        .store
        .get_action_plan(account.id, plan)
        .await
        .expect("plan");
    assert_eq!(read.steps.len(), 2);
    assert_eq!(read.steps[1].delay_seconds, 30);
    let sources = app
        .store
        .list_lead_sources(account.id, Page::first(10))
        .await
        .expect("list");
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].web_key, source.web_key);
    assert!(
        app.store
            .list_lead_sources(other.id, Page::first(10))
            .await
            .expect("list")
            .is_empty()
    );
    let hooks = app
        .store
        .list_webhooks(account.id, Page::first(10))
        .await
        .expect("list");
    assert_eq!(hooks.iter().map(|h| h.id).collect::<Vec<_>>(), [hook]);
    let plans = app
        .store
        .list_action_plans(account.id, Page::first(10))
        .await
        .expect("list");
    assert_eq!(plans.iter().map(|p| p.id).collect::<Vec<_>>(), [plan]);
    let accounts = app.store.list_accounts(Page::first(1)).await.expect("list");
    assert_eq!(accounts[0].id, other.id, "newest first");
    let older = app
        .store
        .list_accounts(Page {
            limit: 10,
            after: Some(other.id),
        })
        .await
        .expect("list");
    assert_eq!(older.iter().map(|a| a.id).collect::<Vec<_>>(), [account.id]);
}

async fn custom_field_names_notifications_and_client_filters(app: TestApp) {
    let account = app.account().await;
    for (name, extra) in [("Ann Lee", "Color"), ("Bob Ray", "Size")] {
        let response = app
            .post_form(&[
                ("web_key", account.web_key.as_str()),
                ("name", name),
                (extra, "x"),
                ("tag", "VIP"),
                ("new_lead_notification", "1"),
            ])
            .await;
        assert_eq!(response.status(), 200);
    }
    let names = app
        .store
        .list_custom_field_names(account.id)
        .await
        .expect("names");
    assert_eq!(names, ["Color", "Size"]);
    let tagged = app
        .store
        .list_clients(
            account.id,
            &ClientFilter {
                tag: Some("vip".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("list");
    assert_eq!(tagged.len(), 2);
    let later = app
        .store
        .list_clients(
            account.id,
            &ClientFilter {
                created_after: Some(tagged[1].created_at),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("list");
    assert_eq!(
        later.iter().map(|c| c.id).collect::<Vec<_>>(),
        [tagged[0].id]
    );
    let notification = app
        .store
        .list_notifications(account.id, Page::first(1))
        .await
        .expect("list")
        .remove(0);
    let read = app
        .store
        .set_notification_read(account.id, notification.id, true)
        .await
        .expect("marked");
    assert!(read.read);
    let other = app.account().await;
    assert!(matches!(
        app.store
            .set_notification_read(other.id, notification.id, false)
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn jobs_are_found_by_state_and_retried_keeping_their_message_id(app: TestApp) {
    let account = app.account().await;
    let (_, plan) = plan_for(&app, account.id).await;
    app.store
        .set_default_action_plan(account.id, Some(plan))
        .await
        .expect("plan");
    let response = app
        .post_form(&[("web_key", account.web_key.as_str()), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 200);
    let jobs = app
        .store
        .list_jobs_with_attempts(account.id, &JobFilter::default(), Page::first(10))
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 2);
    let job = &jobs[0].job;
    assert!(matches!(
        app.store.retry_job(None, job.id).await.expect("answered"),
        RetryOutcome::StillPending(_)
    ));
    app.exec(&format!(
        "UPDATE jobs SET state = 'skipped', attempts = 1 WHERE id = '{}'",
        job.id
    ))
    .await;
    let skipped = app
        .store
        .list_jobs_with_attempts(
            account.id,
            &JobFilter {
                state: Some(JobState::Skipped),
                ..JobFilter::default()
            },
            Page::first(10),
        )
        .await
        .expect("jobs");
    assert_eq!(skipped.len(), 1);
    let other = app.account().await;
    assert!(matches!(
        app.store.retry_job(Some(other.id), job.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store
            .get_job_with_attempts(Some(other.id), job.id)
            .await,
        Err(StoreError::NotFound)
    ));
    match app
        .store
        .retry_job(Some(account.id), job.id)
        .await
        .expect("retried")
    {
        RetryOutcome::Requeued(again) => {
            assert_eq!(again.state, "queued");
            assert_eq!(again.attempts, 0);
            assert_eq!(again.message_id, job.message_id);
        }
        other => panic!("expected a requeue, got {other:?}"),
    }
    let read = app
        .store
        .get_job_with_attempts(None, job.id)
        .await
        .expect("job");
    assert_eq!(read.job.state, "queued");
}

on_both_stores!(
    update_account_changes_only_what_is_given,
    rotate_web_key_retires_only_the_owners_current_key,
    lead_sources_plans_and_webhooks_are_scoped_to_their_account,
    custom_field_names_notifications_and_client_filters,
    jobs_are_found_by_state_and_retried_keeping_their_message_id,
);
