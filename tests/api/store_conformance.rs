//! Every store method, run against both backends, so the two cannot drift.

use leadpost::intake::body::PostedPairs;
use leadpost::intake::form::Form;
use leadpost::store::{
    AcceptOutcome, ClientFilter, KeyOwner, LeadToStore, NewAccount, NewActionPlan, NewLeadSource,
    NewWebhook, Outcome, Page, PlanStep, StoreError, Submission, SubmissionFilter, new_id,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::helpers::{TestApp, on_both_stores};

pub(crate) fn submission(
    account_id: Option<Uuid>,
    outcome: Outcome,
    code: Option<&str>,
) -> Submission {
    Submission {
        id: new_id(),
        account_id,
        lead_source_id: None,
        client_id: None,
        outcome,
        error_code: code.map(String::from),
        message: None,
        replay_of: None,
        fields: vec![("name".into(), "Ann".into())],
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
    }
}

pub(crate) fn lead(owner: KeyOwner, pairs: &[(&str, &str)]) -> LeadToStore {
    let posted = PostedPairs {
        pairs: pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        nested: Vec::new(),
    };
    let form = Form::new(&posted);
    let valid = form.lead(form.name().expect("name")).expect("valid lead");
    LeadToStore {
        owner,
        client: valid.client,
        submission: submission(None, Outcome::Rejected, None),
        fingerprint: form.fingerprint(),
        replay_window_seconds: 600,
        request_id: None,
    }
}

async fn owner_of(app: &TestApp, key: &str) -> KeyOwner {
    app.store
        .find_key_owner(key)
        .await
        .expect("resolves")
        .expect("known key")
}

async fn accounts_keep_their_given_web_key(app: TestApp) {
    let created = app
        .store
        .create_account(&NewAccount {
            name: "Acme".into(),
            owner_email: Some("o@example.com".into()),
            owner_phone: Some("8015550000".into()),
            web_key: Some("CT_KEEP".into()),
        })
        .await
        .expect("created");
    let read = app.store.get_account(created.id).await.expect("read");
    assert_eq!(read.web_key, "CT_KEEP");
    assert_eq!(read.owner_phone.as_deref(), Some("8015550000"));
    assert!(matches!(
        app.store.get_account(new_id()).await,
        Err(StoreError::NotFound)
    ));
}

async fn web_keys_are_one_namespace(app: TestApp) {
    let account = app.account().await;
    let again = app
        .store
        .create_account(&NewAccount {
            name: "B".into(),
            web_key: Some(account.web_key.clone()),
            ..Default::default()
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict("web_key"))));
    let source = app
        .store
        .create_lead_source(
            account.id,
            &NewLeadSource {
                name: "S".into(),
                web_key: Some(account.web_key.clone()),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(source, Err(StoreError::Conflict("web_key"))));
}

async fn a_lead_source_needs_an_existing_account(app: TestApp) {
    let result = app
        .store
        .create_lead_source(
            new_id(),
            &NewLeadSource {
                name: "S".into(),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(result, Err(StoreError::NotFound)));
}

async fn web_keys_resolve_to_their_owner(app: TestApp) {
    let account = app.account().await;
    let source = app
        .store
        .create_lead_source(
            account.id,
            &NewLeadSource {
                name: "Website".into(),
                ..Default::default()
            },
        )
        .await
        .expect("source");
    let by_account = owner_of(&app, &account.web_key).await;
    assert_eq!(
        (by_account.account_id, by_account.lead_source),
        (account.id, None)
    );
    let by_source = owner_of(&app, &source.web_key).await;
    assert_eq!(
        by_source.lead_source.map(|s| (s.id, s.name)),
        Some((source.id, "Website".to_string()))
    );
    assert!(
        app.store
            .find_key_owner("unknown")
            .await
            .expect("resolves")
            .is_none()
    );
}

async fn plans_only_use_the_accounts_own_webhooks(app: TestApp) {
    let (mine, theirs) = (app.account().await, app.account().await);
    let hook = NewWebhook {
        name: "h".into(),
        url: "http://127.0.0.1:9/".into(),
        method: "POST".into(),
        headers: serde_json::json!({}),
        ..Default::default()
    };
    let their_hook = app
        .store
        .create_webhook(theirs.id, &hook)
        .await
        .expect("webhook");
    let plan = NewActionPlan {
        name: "p".into(),
        steps: vec![PlanStep {
            webhook_id: their_hook.id,
            delay_seconds: 0,
        }],
    };
    assert!(matches!(
        app.store.create_action_plan(mine.id, &plan).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.create_webhook(new_id(), &hook).await,
        Err(StoreError::NotFound)
    ));
    let their_plan = app
        .store
        .create_action_plan(theirs.id, &plan)
        .await
        .expect("their plan");
    assert!(matches!(
        app.store
            .set_default_action_plan(mine.id, Some(their_plan.id))
            .await,
        Err(StoreError::NotFound)
    ));
    let source = NewLeadSource {
        name: "s".into(),
        action_plan_id: Some(their_plan.id),
        ..Default::default()
    };
    assert!(matches!(
        app.store.create_lead_source(mine.id, &source).await,
        Err(StoreError::NotFound)
    ));
}

async fn accept_lead_creates_then_replays_then_refuses_duplicates(app: TestApp) {
    let account = app.account().await;
    let owner = owner_of(&app, &account.web_key).await;
    let first = lead(
        owner.clone(),
        &[
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("tag", "a,b"),
        ],
    );
    let AcceptOutcome::Created { client_id } = app.store.accept_lead(&first).await.expect("stored")
    else {
        panic!("first post creates a client");
    };
    let mut again = first.clone();
    again.submission = submission(None, Outcome::Rejected, None);
    assert_eq!(
        app.store.accept_lead(&again).await.expect("stored"),
        AcceptOutcome::Replay {
            of_submission: first.submission.id,
            client_id
        }
    );
    let other = lead(owner, &[("name", "Bo"), ("email", "ANN@EXAMPLE.COM")]);
    assert_eq!(
        app.store.accept_lead(&other).await.expect("stored"),
        AcceptOutcome::DuplicateEmail {
            existing_client_id: client_id
        }
    );
    let client = app.store.get_client(client_id).await.expect("read");
    assert_eq!(client.tags, vec!["a".to_string(), "b".to_string()]);
    assert!(matches!(
        app.store.get_client(new_id()).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_replay_window_of_zero_makes_every_post_new(app: TestApp) {
    let account = app.account().await;
    let owner = owner_of(&app, &account.web_key).await;
    let mut first = lead(owner, &[("name", "Ann")]);
    first.replay_window_seconds = 0;
    assert!(matches!(
        app.store.accept_lead(&first).await,
        Ok(AcceptOutcome::Created { .. })
    ));
    let mut again = first.clone();
    again.submission = submission(None, Outcome::Rejected, None);
    assert!(matches!(
        app.store.accept_lead(&again).await,
        Ok(AcceptOutcome::Created { .. })
    ));
}

async fn clients_list_newest_first_across_pages_without_gaps(app: TestApp) {
    let account = app.account().await;
    let owner = owner_of(&app, &account.web_key).await;
    let mut created = Vec::new();
    for i in 0..7 {
        let name = format!("Client {i}");
        let email = format!("c{i}@example.com");
        let AcceptOutcome::Created { client_id } = app
            .store
            .accept_lead(&lead(owner.clone(), &[("name", &name), ("email", &email)]))
            .await
            .expect("stored")
        else {
            panic!("created");
        };
        created.push(client_id);
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut page = Page::first(3);
    loop {
        let clients = app
            .store
            .list_clients(account.id, &ClientFilter::default(), page)
            .await
            .expect("listed");
        seen.extend(clients.iter().map(|c| c.id));
        match clients.last() {
            Some(last) if clients.len() == 3 => page.after = Some(last.id),
            _ => break,
        }
    }
    assert_eq!(seen, created);
    let by_email = app
        .store
        .list_clients(
            account.id,
            &ClientFilter {
                email: Some(" C3@Example.com".into()),
                ..Default::default()
            },
            Page::first(10),
        )
        .await
        .expect("listed");
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].fields.first_name(), "Client");
}

async fn rate_limited_posts_are_one_counted_row_per_owner_and_minute(app: TestApp) {
    let account = app.account().await;
    let mut post = submission(Some(account.id), Outcome::Rejected, Some("ct106"));
    post.created_at = time::macros::datetime!(2026-01-01 10:00:05 UTC);
    for second in [5, 30, 59] {
        post.id = new_id();
        post.created_at = post.created_at.replace_second(second).expect("second");
        app.store.record_rate_limited(&post).await.expect("logged");
    }
    post.id = new_id();
    post.created_at = time::macros::datetime!(2026-01-01 10:01:00 UTC);
    app.store.record_rate_limited(&post).await.expect("logged");
    let rows = app
        .store
        .list_submissions(
            &SubmissionFilter {
                account_id: Some(account.id),
                ..Default::default()
            },
            Page::first(50),
        )
        .await
        .expect("listed");
    let mut messages: Vec<String> = rows.into_iter().filter_map(|r| r.message).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "Too many requests: 1 post refused in this minute",
            "Too many requests: 3 posts refused in this minute",
        ]
    );
}

async fn submissions_filter_by_account_outcome_and_code(app: TestApp) {
    let account = app.account().await;
    for (outcome, code) in [
        (Outcome::Rejected, Some("ct102")),
        (Outcome::Rejected, Some("ct104")),
        (Outcome::Accepted, None),
    ] {
        app.store
            .record_rejection(&submission(Some(account.id), outcome, code))
            .await
            .expect("logged");
    }
    app.store
        .record_rejection(&submission(None, Outcome::Rejected, Some("ct101")))
        .await
        .expect("logged");
    let count = |filter: SubmissionFilter| {
        let store = app.store.clone();
        async move {
            store
                .list_submissions(&filter, Page::first(50))
                .await
                .expect("listed")
                .len()
        }
    };
    assert_eq!(count(SubmissionFilter::default()).await, 4);
    assert_eq!(
        count(SubmissionFilter {
            account_id: Some(account.id),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(SubmissionFilter {
            outcome: Some(Outcome::Rejected),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        count(SubmissionFilter {
            error_code: Some("ct104".into()),
            ..Default::default()
        })
        .await,
        1
    );
}

async fn the_store_names_its_backend_and_answers_a_ping(app: TestApp) {
    assert!(["postgres", "sqlite"].contains(&app.store.backend()));
    app.store.ping().await.expect("reachable");
    let pool = app.store.pool_stats();
    assert!(pool.max >= 1);
    assert!(pool.idle <= pool.open);
}

on_both_stores!(
    accounts_keep_their_given_web_key,
    web_keys_are_one_namespace,
    a_lead_source_needs_an_existing_account,
    web_keys_resolve_to_their_owner,
    plans_only_use_the_accounts_own_webhooks,
    accept_lead_creates_then_replays_then_refuses_duplicates,
    a_replay_window_of_zero_makes_every_post_new,
    clients_list_newest_first_across_pages_without_gaps,
    submissions_filter_by_account_outcome_and_code,
    the_store_names_its_backend_and_answers_a_ping,
    rate_limited_posts_are_one_counted_row_per_owner_and_minute,
);
