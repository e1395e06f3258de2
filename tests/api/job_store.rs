//! The job queue's store methods, on both backends.

use leadpost::store::{
    JobKind, JobNext, JobState, NewAttempt, NewWebhook, Page, StoreError, Webhook, new_id,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::helpers::{TestApp, on_both_stores};

async fn client_and_hook(app: &TestApp) -> (uuid::Uuid, Webhook) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let response = app
        .post_form(&[
            ("web_key", source.web_key.as_str()),
            ("name", "Ann Lee"),
            ("tag", "vip"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("client");
    let hook = app
        .store
        .create_webhook(
            account.id,
            &NewWebhook {
                name: "h".into(),
                url: "http://127.0.0.1:9/".into(),
                method: "POST".into(),
                headers: json!({"X-A": "1"}),
                body: Some(json!({"a": "{{ client.firstName }}"})),
                secret: Some("whsec_c2VjcmV0".into()),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    (client.id, hook)
}

fn attempt(error: Option<&str>) -> NewAttempt {
    NewAttempt {
        attempted_at: OffsetDateTime::now_utc(),
        status_code: Some(503),
        latency_ms: 12,
        response: Some("busy".into()),
        error: error.map(String::from),
    }
}

async fn a_queued_webhook_job_is_claimed_once_and_finished(app: TestApp) {
    let (client_id, hook) = client_and_hook(&app).await;
    let queued = app
        .store
        .queue_webhook_job(client_id, hook.id)
        .await
        .expect("queued");
    assert_eq!((queued.state.as_str(), queued.attempts), ("queued", 0));
    assert!(queued.message_id.starts_with("msg_"));
    let claimed = app
        .store
        .claim_due_jobs(JobKind::Webhook, 10, 60)
        .await
        .expect("claims");
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].state.as_str(), claimed[0].attempts),
        ("running", 1)
    );
    assert!(
        app.store
            .claim_due_jobs(JobKind::Webhook, 10, 60)
            .await
            .expect("claims")
            .is_empty(),
        "a held job is not claimed again"
    );
    assert!(
        app.store
            .claim_due_jobs(JobKind::Email, 10, 60)
            .await
            .expect("claims")
            .is_empty()
    );
    let due_at = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let held = app
        .store
        .finish_attempt(
            &claimed[0],
            &attempt(Some("HTTP 503")),
            &JobNext::Retry {
                due_at,
                error: "HTTP 503".into(),
            },
        )
        .await
        .expect("finished");
    assert!(held);
    let job = app.store.get_job(queued.id).await.expect("job");
    assert_eq!(job.state, "retrying");
    assert_eq!(job.last_error.as_deref(), Some("HTTP 503"));
    assert!((job.due_at - due_at).abs() < time::Duration::seconds(1));
    let attempts = app.store.list_job_attempts(job.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, Some(503));
    assert_eq!(attempts[0].latency_ms, 12);
    assert_eq!(attempts[0].response.as_deref(), Some("busy"));
    assert!(
        app.store
            .claim_due_jobs(JobKind::Webhook, 10, 60)
            .await
            .expect("claims")
            .is_empty(),
        "not due yet"
    );
}

async fn a_job_whose_lease_passed_is_claimed_again_and_the_stale_claim_changes_nothing(
    app: TestApp,
) {
    let (client_id, hook) = client_and_hook(&app).await;
    app.store
        .queue_webhook_job(client_id, hook.id)
        .await
        .expect("queued");
    let first = app
        .store
        .claim_due_jobs(JobKind::Webhook, 10, 0)
        .await
        .expect("claims");
    let second = app
        .store
        .claim_due_jobs(JobKind::Webhook, 10, 60)
        .await
        .expect("claims");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempts, 2);
    let stale = app
        .store
        .finish_attempt(&first[0], &attempt(None), &JobNext::Delivered)
        .await
        .expect("finished");
    assert!(!stale);
    assert_eq!(
        app.store.get_job(first[0].id).await.expect("job").state,
        "running"
    );
    assert!(
        app.store
            .finish_attempt(
                &second[0],
                &attempt(None),
                &JobNext::Dead { error: "x".into() }
            )
            .await
            .expect("finished")
    );
    let job = app.store.get_job(first[0].id).await.expect("job");
    assert_eq!((job.state.as_str(), job.attempts), ("dead", 2));
    assert_eq!(
        app.store
            .list_job_attempts(job.id)
            .await
            .expect("log")
            .len(),
        2
    );
}

async fn webhooks_and_delivery_context_read_back(app: TestApp) {
    let (client_id, hook) = client_and_hook(&app).await;
    let read = app.store.get_webhook(hook.id).await.expect("webhook");
    assert_eq!(read.secret.as_deref(), Some("whsec_c2VjcmV0"));
    assert_eq!(read.headers, json!({"X-A": "1"}));
    assert_eq!(read.body, Some(json!({"a": "{{ client.firstName }}"})));
    let context = app
        .store
        .get_delivery_context(client_id)
        .await
        .expect("context");
    assert_eq!(context.client.fields.first_name(), "Ann");
    assert_eq!(context.client.tags, vec!["vip".to_string()]);
    assert_eq!(context.account.name, "Acme Roofing");
    assert_eq!(
        context.lead_source.map(|s| s.name).as_deref(),
        Some("Website")
    );
    assert!(matches!(
        app.store.get_webhook(new_id()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.get_delivery_context(new_id()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.get_job(new_id()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.queue_webhook_job(new_id(), hook.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn jobs_are_listed_newest_first_and_counted_by_state(app: TestApp) {
    let (client_id, hook) = client_and_hook(&app).await;
    let queue = || app.store.queue_webhook_job(client_id, hook.id);
    let first = queue().await.expect("first");
    let second = queue().await.expect("second");
    let client = app.store.get_client(client_id).await.expect("client");
    let listed = app
        .store
        .list_jobs(client.account_id, Page::first(10))
        .await
        .expect("jobs");
    let ids: Vec<_> = listed.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![second.id, first.id]);
    let claimed = app
        .store
        .claim_due_jobs(JobKind::Webhook, 1, 60)
        .await
        .expect("claims");
    assert_eq!(claimed.len(), 1);
    let counts = app.store.count_jobs().await.expect("counts");
    assert_eq!(counts, vec![(JobState::Queued, 1), (JobState::Running, 1)]);
}

async fn a_batch_reads_every_existing_webhook_and_context_once_and_skips_the_missing(app: TestApp) {
    let (ann, hook) = client_and_hook(&app).await;
    let (bob, other_hook) = client_and_hook(&app).await;
    // Three ids pad to a list of four; the missing id and the repeat change nothing.
    let mut hooks = app
        .store
        .get_webhooks(&[other_hook.id, new_id(), hook.id])
        .await
        .expect("webhooks");
    hooks.sort_by_key(|w| w.id);
    let mut expected = vec![hook.id, other_hook.id];
    expected.sort();
    assert_eq!(hooks.iter().map(|w| w.id).collect::<Vec<_>>(), expected);
    assert_eq!(hooks[0].secret.as_deref(), Some("whsec_c2VjcmV0"));
    let contexts = app
        .store
        .get_delivery_contexts(&[bob, new_id(), ann, bob, ann])
        .await
        .expect("contexts");
    let mut clients: Vec<_> = contexts.iter().map(|c| c.client.id).collect();
    clients.sort();
    let mut expected = vec![ann, bob];
    expected.sort();
    assert_eq!(clients, expected);
    for context in &contexts {
        assert_eq!(context.client.tags, vec!["vip".to_string()]);
        assert_eq!(context.account.id, context.client.account_id);
        assert_eq!(
            context.lead_source.as_ref().map(|s| s.name.as_str()),
            Some("Website")
        );
    }
    assert!(app.store.get_webhooks(&[]).await.expect("none").is_empty());
    assert!(
        app.store
            .get_delivery_contexts(&[])
            .await
            .expect("none")
            .is_empty()
    );
}

/// Queue `count` webhook jobs of `hook` for the client.
async fn queue_jobs(app: &TestApp, client_id: uuid::Uuid, hook: &Webhook, count: usize) {
    for _ in 0..count {
        app.store
            .queue_webhook_job(client_id, hook.id)
            .await
            .expect("queued");
    }
}

/// Claim every due webhook job (up to 10) for a minute.
async fn claim_all(app: &TestApp) -> Vec<leadpost::store::Job> {
    app.store
        .claim_due_jobs(JobKind::Webhook, 10, 60)
        .await
        .expect("claims")
}

async fn the_due_kinds_are_those_with_a_job_due_now(app: TestApp) {
    assert!(app.store.due_kinds().await.expect("kinds").is_empty());
    let (client_id, hook) = client_and_hook(&app).await;
    queue_jobs(&app, client_id, &hook, 1).await;
    assert_eq!(
        app.store.due_kinds().await.expect("kinds"),
        vec![JobKind::Webhook]
    );
    assert_eq!(claim_all(&app).await.len(), 1);
    assert!(
        app.store.due_kinds().await.expect("kinds").is_empty(),
        "a job under a live lease is not due"
    );
}

async fn attempts_finished_at_once_are_each_recorded_and_a_stale_one_changes_nothing(app: TestApp) {
    let (client_id, hook) = client_and_hook(&app).await;
    queue_jobs(&app, client_id, &hook, 5).await;
    let mut claimed = claim_all(&app).await;
    assert_eq!(claimed.len(), 5);
    // The last one as a stale claim would hold it: an older attempt number.
    claimed[4].attempts = 0;
    let finished = futures::future::join_all(claimed.iter().map(|job| {
        let store = app.store.clone();
        let job = job.clone();
        async move {
            store
                .finish_attempt(&job, &attempt(None), &JobNext::Delivered)
                .await
        }
    }))
    .await;
    let moved: Vec<bool> = finished.into_iter().map(|f| f.expect("finished")).collect();
    assert_eq!(moved, vec![true, true, true, true, false]);
    for (job, moved) in claimed.iter().zip(&moved) {
        let stored = app.store.get_job(job.id).await.expect("job");
        let expected = if *moved { "delivered" } else { "running" };
        assert_eq!(stored.state, expected);
        let log = app.store.list_job_attempts(job.id).await.expect("log");
        assert_eq!(log.len(), 1, "each attempt is logged once, a stale one too");
    }
}

on_both_stores!(
    the_due_kinds_are_those_with_a_job_due_now,
    attempts_finished_at_once_are_each_recorded_and_a_stale_one_changes_nothing,
    a_batch_reads_every_existing_webhook_and_context_once_and_skips_the_missing,
    a_queued_webhook_job_is_claimed_once_and_finished,
    a_job_whose_lease_passed_is_claimed_again_and_the_stale_claim_changes_nothing,
    webhooks_and_delivery_context_read_back,
    jobs_are_listed_newest_first_and_counted_by_state,
);
