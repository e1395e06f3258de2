//! Speed without losing a lead (DESIGN §13): leads committed together still
//! fail alone, a queued job wakes the worker, and claiming is fair across
//! accounts and receivers. No figure is timed here except the contract's own
//! generous ceiling; throughput is `bench/ingest.sh`'s business.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use leadpost::delivery::Worker;
use leadpost::intake::body::PostedPairs;
use leadpost::intake::form::Form;
use leadpost::store::{
    AcceptOutcome, Account, JobKind, KeyOwner, LeadToStore, NewActionPlan, NewWebhook, Outcome,
    PlanStep, Submission, new_id,
};
use time::OffsetDateTime;
use tokio::sync::watch;
use tracing_subscriber::layer::SubscriberExt;
use uuid::Uuid;

use crate::helpers::{TestApp, on_both_stores};
use crate::receiver::Receiver;

/// A valid lead of `owner` named `name`.
fn lead(owner: &KeyOwner, name: &str) -> LeadToStore {
    lead_with(owner, name, &[])
}

/// A valid lead of `owner` named `name`, with `more` fields posted.
fn lead_with(owner: &KeyOwner, name: &str, more: &[(&str, &str)]) -> LeadToStore {
    let email = format!("{}@example.com", name.replace(' ', "."));
    let mut pairs = vec![
        ("name".to_string(), name.to_string()),
        ("email".into(), email),
    ];
    pairs.extend(more.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let posted = PostedPairs {
        pairs,
        nested: Vec::new(),
    };
    let form = Form::new(&posted);
    let valid = form.lead(form.name().expect("name")).expect("valid lead");
    LeadToStore {
        owner: owner.clone(),
        client: valid.client,
        submission: Submission {
            id: new_id(),
            account_id: Some(owner.account_id),
            lead_source_id: None,
            client_id: None,
            outcome: Outcome::Rejected,
            error_code: None,
            message: None,
            replay_of: None,
            fields: vec![("name".into(), name.into())],
            remote_ip: Some("127.0.0.1".into()),
            user_agent: None,
            created_at: OffsetDateTime::now_utc(),
            spam_reasons: Vec::new(),
            released_client_id: None,
            released_at: None,
            release_error_code: None,
            channel: Default::default(),
            raw_message: None,
            reparsed_at: None,
            request_id: None,
        },
        fingerprint: format!("fp-{name}"),
        replay_window_seconds: 600,
        request_id: None,
    }
}

async fn owner_of(app: &TestApp, account: &Account) -> KeyOwner {
    app.store
        .find_key_owner(&account.web_key)
        .await
        .expect("resolves")
        .expect("known key")
}

/// A webhook of the account to `url`, and a lead source whose plan calls it at once.
async fn source_calling(app: &TestApp, account: &Account, url: &str) -> (Uuid, String) {
    let hook = app
        .store
        .create_webhook(
            account.id,
            &NewWebhook {
                name: "receiver".into(),
                url: url.into(),
                method: "POST".into(),
                headers: serde_json::json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let plan = app
        .store
        .create_action_plan(
            account.id,
            &NewActionPlan {
                name: "at once".into(),
                steps: vec![PlanStep {
                    webhook_id: hook.id,
                    delay_seconds: 0,
                }],
            },
        )
        .await
        .expect("plan");
    let source = app.lead_source(account, Some(plan.id)).await;
    (hook.id, source.web_key)
}

/// A delivery worker running in the background until the sender says stop.
fn start_worker(
    app: &TestApp,
    tune: impl FnOnce(&mut leadpost::config::DeliverySettings),
) -> watch::Sender<bool> {
    let mut settings = app.worker_settings(&[60]);
    tune(&mut settings);
    let worker = Arc::new(Worker::new(app.store.clone(), settings).expect("worker"));
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(worker.run(stopped));
    stop
}

/// Wait (up to a generous minute) until `ready` holds.
async fn until(mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "gave up waiting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn a_lead_that_fails_amid_concurrent_leads_is_refused_alone(app: TestApp) {
    let account = app.account().await;
    let owner = owner_of(&app, &account).await;
    let mut leads: Vec<LeadToStore> = (0..40).map(|i| lead(&owner, &format!("Ann {i}"))).collect();
    // The middle one names an account that does not exist: a foreign-key failure
    // inside whatever group it is committed with.
    leads[20].owner.account_id = new_id();
    let answers = futures::future::join_all(leads.iter().map(|l| app.store.accept_lead(l))).await;
    for (i, answer) in answers.iter().enumerate() {
        if i == 20 {
            assert!(answer.is_err(), "the broken lead is refused: {answer:?}");
        } else {
            assert!(
                matches!(answer, Ok(AcceptOutcome::Created { .. })),
                "lead {i}: {answer:?}"
            );
        }
    }
    assert_eq!(app.client_count(&account).await, 39);
}

async fn a_duplicate_amid_concurrent_leads_is_refused_alone(app: TestApp) {
    let account = app.account().await;
    let owner = owner_of(&app, &account).await;
    let first = lead(&owner, "Bo Lee");
    assert!(matches!(
        app.store.accept_lead(&first).await,
        Ok(AcceptOutcome::Created { .. })
    ));
    let mut leads: Vec<LeadToStore> = (0..30).map(|i| lead(&owner, &format!("Cy {i}"))).collect();
    // Same email as the first client, posted differently: ct103 for it alone.
    let mut again = lead(&owner, "Bo Lee");
    again.fingerprint = "another post".into();
    leads.insert(15, again);
    let answers = futures::future::join_all(leads.iter().map(|l| app.store.accept_lead(l))).await;
    let created = answers
        .iter()
        .filter(|a| matches!(a, Ok(AcceptOutcome::Created { .. })))
        .count();
    assert_eq!(created, 30);
    assert!(matches!(
        answers[15],
        Ok(AcceptOutcome::DuplicateEmail { .. })
    ));
    assert_eq!(app.client_count(&account).await, 31);
}

async fn every_post_answered_under_load_is_stored(app: TestApp) {
    let account = app.account().await;
    let posts = (0..64).map(|i| {
        let name = format!("Dee {i}");
        let email = format!("dee{i}@example.com");
        let key = account.web_key.clone();
        let app = &app;
        async move {
            app.post_form(&[("web_key", &key), ("name", &name), ("email", &email)])
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.client_count(&account).await, 64);
}

async fn a_queued_job_wakes_the_worker_before_its_poll(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (_, key) = source_calling(&app, &account, &receiver.url).await;
    // The worker would otherwise look again only in ten minutes.
    let _stop = start_worker(&app, |s| s.poll_interval_ms = 600_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let response = app.post_form(&[("web_key", &key), ("name", "Eve")]).await;
    assert_eq!(response.status(), 200);
    until(|| receiver.arrived() == 1).await;
}

/// `count` queued webhook jobs of the account's client to the webhook, due long ago.
async fn queue_flood(app: &TestApp, account: &Account, client: Uuid, hook: Uuid, count: usize) {
    let rows: Vec<String> = (0..count)
        .map(|_| {
            format!(
                "('{}', '{}', '{client}', 'webhook', '{hook}', 'queued', \
                 '2020-01-01T00:00:00.000000Z', 0, 'msg_{}', NULL, \
                 '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z', NULL)",
                new_id(),
                account.id,
                new_id().simple()
            )
        })
        .collect();
    let statements: Vec<String> = rows
        .chunks(1000)
        .map(|chunk| {
            format!(
                "INSERT INTO jobs (id, account_id, client_id, kind, webhook_id, state, due_at, \
                 attempts, message_id, last_error, created_at, updated_at, request_id) VALUES {};",
                chunk.join(", ")
            )
        })
        .collect();
    app.exec(&statements.join("\n")).await;
}

async fn a_flooded_slow_receiver_does_not_delay_another_accounts_webhook(app: TestApp) {
    let slow = Receiver::start(vec![]).await;
    slow.set_delay(Duration::from_secs(2));
    let fast = Receiver::start(vec![]).await;
    let flooded = app.account().await;
    let (slow_hook, flooded_key) = source_calling(&app, &flooded, &slow.url).await;
    let response = app
        .post_form(&[("web_key", &flooded_key), ("name", "Flo")])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&flooded).await.expect("client").id;
    queue_flood(&app, &flooded, client, slow_hook, 10_000).await;
    let other = app.account().await;
    let (_, other_key) = source_calling(&app, &other, &fast.url).await;
    let _stop = start_worker(&app, |s| s.max_in_flight_per_url = 4);
    until(|| slow.arrived() >= 4).await;

    let posted = Instant::now();
    let response = app
        .post_form(&[("web_key", &other_key), ("name", "Gus")])
        .await;
    assert_eq!(response.status(), 200);
    until(|| fast.arrived() == 1).await;
    let waited = posted.elapsed();
    assert!(
        waited < Duration::from_secs(1),
        "attempted after {waited:?}"
    );
    assert!(slow.arrived() <= 5, "the flooded URL stays at its cap");
}

async fn fair_claims_take_accounts_in_turn_and_cap_each_url(app: TestApp) {
    let flooded = app.account().await;
    let (hook, key) = source_calling(&app, &flooded, "http://127.0.0.1:9/a").await;
    for name in ["Hal", "Ida", "Jo"] {
        assert_eq!(
            app.post_form(&[("web_key", &key), ("name", name)])
                .await
                .status(),
            200
        );
    }
    let other = app.account().await;
    let (_, key) = source_calling(&app, &other, "http://127.0.0.1:9/b").await;
    assert_eq!(
        app.post_form(&[("web_key", &key), ("name", "Kim")])
            .await
            .status(),
        200
    );
    let first = app
        .store
        .claim_due_jobs_fairly(JobKind::Webhook, 2, 60, 10)
        .await
        .expect("claimed");
    let accounts: std::collections::HashSet<Uuid> = first.iter().map(|j| j.account_id).collect();
    assert_eq!(accounts.len(), 2, "one job of each account: {first:?}");
    // The flooded URL has one running: a cap of two lets one more go, not two.
    let capped = app
        .store
        .claim_due_jobs_fairly(JobKind::Webhook, 10, 60, 2)
        .await
        .expect("claimed");
    assert_eq!(capped.len(), 1);
    assert!(capped.iter().all(|j| j.webhook_id == Some(hook)));
}

/// Counts the statements sqlx runs (its `sqlx::query` events) while it is the dispatcher.
#[derive(Clone, Default)]
struct StatementCount(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCount {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn a_lead_on_postgres_is_one_statement() {
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let account = app.account().await;
    let (_, key) = source_calling(&app, &account, "http://127.0.0.1:9/hook").await;
    let owner = app
        .store
        .find_key_owner(&key)
        .await
        .expect("resolves")
        .expect("known key");
    let extra = [
        ("tag", "roof,gutter"),
        ("Budget", "high"),
        ("notes", "call after five"),
        ("new_lead_notification", "2"),
    ];
    let rich = lead_with(&owner, "Eve Lee", &extra);
    let count = StatementCount::default();
    let subscriber = tracing_subscriber::registry().with(count.clone());
    // The runtime of this test runs on its thread alone, the lead writer's task
    // included: the thread's subscriber sees that task's statement too.
    let counting = tracing::subscriber::set_default(subscriber);
    let stored = app.store.accept_lead(&rich).await.expect("stored");
    drop(counting);
    let AcceptOutcome::Created { client_id } = stored else {
        panic!("a new client: {stored:?}");
    };
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    let client = app.store.get_client(client_id).await.expect("read back");
    assert_eq!(client.tags, vec!["roof".to_string(), "gutter".to_string()]);
    assert_eq!(client.notes.len(), 1);
}

on_both_stores!(
    a_lead_that_fails_amid_concurrent_leads_is_refused_alone,
    a_duplicate_amid_concurrent_leads_is_refused_alone,
    every_post_answered_under_load_is_stored,
    a_queued_job_wakes_the_worker_before_its_poll,
    a_flooded_slow_receiver_does_not_delay_another_accounts_webhook,
    fair_claims_take_accounts_in_turn_and_cap_each_url,
);
