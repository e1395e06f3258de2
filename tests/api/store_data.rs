//! Store conformance for keeping, erasing and auditing data: every such store method, run on both
//! backends so the two cannot drift.

use leadpost::store::{
    ActorKind, AuditActor, AuditFilter, Channel, NewAuditEntry, Outcome, Page, Retention,
    StoreError, Submission, new_id,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::helpers::{TestApp, on_both_stores};

/// A logged post of the account, made at `at`, with one value.
fn old_post(
    account_id: Option<Uuid>,
    outcome: Outcome,
    at: OffsetDateTime,
    email: &str,
) -> Submission {
    Submission {
        id: new_id(),
        account_id,
        lead_source_id: None,
        client_id: None,
        outcome,
        error_code: None,
        message: Some("kept".into()),
        replay_of: None,
        fields: vec![("email".into(), email.into())],
        remote_ip: Some("127.0.0.1".into()),
        user_agent: Some("test".into()),
        created_at: at,
        spam_reasons: Vec::new(),
        released_client_id: None,
        released_at: None,
        release_error_code: None,
        channel: Channel::Form,
        raw_message: None,
        reparsed_at: None,
        request_id: None,
    }
}

async fn retention_is_set_read_and_listed(app: TestApp) {
    let account = app.account().await;
    let stored = app.store.get_retention(account.id).await.expect("read");
    assert_eq!(stored, Retention::default());
    let changed = Retention {
        submission_log_days: 10,
        spam_retention_days: 3,
        lead_days: Some(400),
    };
    app.store
        .set_retention(account.id, &changed)
        .await
        .expect("set");
    assert_eq!(
        app.store.get_retention(account.id).await.expect("read"),
        changed
    );
    let spam = app.store.get_spam_settings(account.id).await.expect("spam");
    assert_eq!(spam.spam_retention_days, 3);
    let listed = app.store.list_retention().await.expect("listed");
    assert_eq!(listed, vec![(account.id, changed)]);
    let missing = app.store.get_retention(Uuid::now_v7()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

async fn old_submissions_are_stripped_in_batches(app: TestApp) {
    let account = app.account().await;
    let old = OffsetDateTime::now_utc() - Duration::days(100);
    for _ in 0..3 {
        let post = old_post(Some(account.id), Outcome::Rejected, old, "a@example.com");
        app.store.record_rejection(&post).await.expect("logged");
    }
    let orphan = old_post(None, Outcome::Rejected, old, "b@example.com");
    app.store.record_rejection(&orphan).await.expect("logged");
    let cut = OffsetDateTime::now_utc() - Duration::days(90);
    let store = &app.store;
    assert_eq!(
        store
            .strip_old_submissions(Some(account.id), cut, 2)
            .await
            .expect("strip"),
        2
    );
    assert_eq!(
        store
            .strip_old_submissions(Some(account.id), cut, 2)
            .await
            .expect("strip"),
        1
    );
    assert_eq!(
        store
            .strip_old_submissions(Some(account.id), cut, 2)
            .await
            .expect("strip"),
        0
    );
    assert_eq!(
        store
            .strip_old_submissions(None, cut, 2)
            .await
            .expect("strip"),
        1
    );
    let stripped = store.get_submission(orphan.id).await.expect("kept");
    assert!(stripped.fields.is_empty());
    assert_eq!(stripped.message, None);
    assert_eq!(stripped.user_agent, None);
    assert_eq!(stripped.outcome, Outcome::Rejected);
}

async fn old_spam_is_deleted_and_old_clients_are_found(app: TestApp) {
    let account = app.account().await;
    let old = OffsetDateTime::now_utc() - Duration::days(40);
    let spam = old_post(Some(account.id), Outcome::Spam, old, "s@example.com");
    app.store.record_rejection(&spam).await.expect("logged");
    let kept = old_post(Some(account.id), Outcome::Rejected, old, "r@example.com");
    app.store.record_rejection(&kept).await.expect("logged");
    let cut = OffsetDateTime::now_utc() - Duration::days(30);
    assert_eq!(
        app.store
            .delete_old_spam(account.id, cut, 10)
            .await
            .expect("deleted"),
        1
    );
    assert!(app.store.get_submission(spam.id).await.is_err());
    assert!(app.store.get_submission(kept.id).await.is_ok());
    app.post_form(&[("web_key", account.web_key.as_str()), ("name", "Ann")])
        .await;
    let client = app.latest_client(&account).await.expect("client");
    let later = OffsetDateTime::now_utc() + Duration::seconds(5);
    let found = app
        .store
        .old_clients(account.id, later, 10)
        .await
        .expect("found");
    assert_eq!(found, vec![client.id]);
    let earlier = OffsetDateTime::now_utc() - Duration::days(1);
    assert!(
        app.store
            .old_clients(account.id, earlier, 10)
            .await
            .expect("found")
            .is_empty()
    );
}

async fn a_client_and_an_email_are_erased(app: TestApp) {
    let account = app.account().await;
    let key = account.web_key.as_str();
    app.post_form(&[
        ("web_key", key),
        ("name", "Ann"),
        ("email", "Ann@Example.com"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("client");
    assert_eq!(
        app.store.erase_client(client.id).await.expect("erased"),
        account.id
    );
    assert!(matches!(
        app.store.erase_client(client.id).await,
        Err(StoreError::NotFound)
    ));
    app.post_form(&[
        ("web_key", key),
        ("name", "Ann"),
        ("email", "ann@example.com"),
    ])
    .await;
    let done = app
        .store
        .erase_email(account.id, "ANN@example.com")
        .await
        .expect("erased");
    assert_eq!((done.clients, done.submissions), (1, 1));
    let unknown = app
        .store
        .erase_email(Uuid::now_v7(), "ann@example.com")
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)));
}

async fn audit_entries_are_recorded_and_listed_newest_first(app: TestApp) {
    let account = app.account().await;
    let mut ids = Vec::new();
    for (kind, verb) in [(ActorKind::Cli, "create"), (ActorKind::Token, "update")] {
        let entry = NewAuditEntry {
            account_id: Some(account.id),
            actor: AuditActor { kind, id: None },
            object_type: "webhook".into(),
            verb: verb.into(),
            object_id: Some("w1".into()),
            ip: Some("127.0.0.1".parse().expect("ip")),
        };
        ids.push(app.store.record_audit(&entry).await.expect("recorded").id);
    }
    let all = app
        .store
        .list_audit(account.id, &AuditFilter::default(), Page::first(10))
        .await
        .expect("listed");
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[1], ids[0]]
    );
    assert_eq!(all[0].action, "webhook.update");
    assert_eq!(all[0].ip.as_deref(), Some("127.0.0.1"));
    let filter = AuditFilter {
        actor_kind: Some(ActorKind::Cli),
        ..Default::default()
    };
    let cli = app
        .store
        .list_audit(account.id, &filter, Page::first(10))
        .await
        .expect("listed");
    assert_eq!(cli.len(), 1);
    let filter = AuditFilter {
        since: Some(OffsetDateTime::now_utc() + Duration::hours(1)),
        ..Default::default()
    };
    let none = app
        .store
        .list_audit(account.id, &filter, Page::first(10))
        .await
        .expect("listed");
    assert!(none.is_empty());
    let page = Page {
        limit: 10,
        after: Some(ids[1]),
    };
    let rest = app
        .store
        .list_audit(account.id, &AuditFilter::default(), page)
        .await
        .expect("listed");
    assert_eq!(rest.len(), 1);
}

async fn a_backup_is_sqlite_only(app: TestApp) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("copy.db").display().to_string();
    let done = app.store.backup_into(&path).await;
    match app.store.backend() {
        "sqlite" => {
            done.expect("copied");
            assert!(std::fs::metadata(&path).expect("copy").len() > 0);
        }
        _ => assert!(matches!(done, Err(StoreError::Unsupported(_)))),
    }
}

on_both_stores!(
    retention_is_set_read_and_listed,
    old_submissions_are_stripped_in_batches,
    old_spam_is_deleted_and_old_clients_are_found,
    a_client_and_an_email_are_erased,
    audit_entries_are_recorded_and_listed_newest_first,
    a_backup_is_sqlite_only,
);
