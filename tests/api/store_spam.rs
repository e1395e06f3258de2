//! The spam store methods, run against both backends: settings, a lead source's origin rules,
//! reading a logged post, releasing kept spam and marking a client spam.

use leadpost::spam::{OriginPattern, SpamReason, SpamSettings};
use leadpost::store::{
    AcceptOutcome, LeadToStore, Outcome, ReleaseOutcome, SourceOrigins, StoreError, new_id,
};

use crate::helpers::{TestApp, on_both_stores};
use crate::store_conformance::{lead, submission};

fn origin(raw: &str) -> OriginPattern {
    OriginPattern::parse(raw).expect("an origin")
}

/// A spam post of the account kept in the log, ready to release.
async fn kept_spam(app: &TestApp, pairs: &[(&str, &str)]) -> LeadToStore {
    let account = app.account().await;
    let owner = app.store.owner_of(account.id, None).await.expect("owner");
    let mut spam = lead(owner, pairs);
    spam.submission = submission(Some(account.id), Outcome::Spam, None);
    spam.submission.fields = pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    spam.submission.spam_reasons = vec![SpamReason::Honeypot];
    // As the release service does: no double-submit guard.
    spam.fingerprint = String::new();
    spam.replay_window_seconds = 0;
    app.store
        .record_rejection(&spam.submission)
        .await
        .expect("logged");
    spam
}

async fn spam_settings_read_back_the_defaults_then_what_was_set(app: TestApp) {
    let account = app.account().await;
    let read = app.store.get_spam_settings(account.id).await.expect("read");
    assert_eq!(read, SpamSettings::default());
    let settings = SpamSettings {
        honeypot_field: None,
        min_fill_ms: 0,
        captcha: None,
        blocked_email_domains: vec!["spam.example".into()],
        blocked_words: vec!["casino".into()],
        blocked_ips: vec!["127.0.0.0/8".parse().expect("cidr")],
        max_links: Some(2),
        allowed_origins: vec![origin("https://*.example.com")],
        require_origin: true,
    };
    app.store
        .set_spam_settings(account.id, &settings)
        .await
        .expect("set");
    let read = app.store.get_spam_settings(account.id).await.expect("read");
    assert_eq!(read, settings);
    assert!(matches!(
        app.store.set_spam_settings(new_id(), &settings).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_lead_sources_origin_rules_read_back_through_owner_of(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let origins = SourceOrigins {
        allowed_origins: Some(vec![origin("https://shop.example.com")]),
        require_origin: Some(true),
    };
    app.store
        .set_source_origins(account.id, source.id, &origins)
        .await
        .expect("set");
    let owner = app
        .store
        .owner_of(account.id, Some(source.id))
        .await
        .expect("owner");
    assert_eq!(owner.lead_source.expect("the source").id, source.id);
    assert_eq!(owner.source_allowed_origins, origins.allowed_origins);
    assert_eq!(owner.source_require_origin, Some(true));

    let account_only = app.store.owner_of(account.id, None).await.expect("owner");
    assert!(account_only.lead_source.is_none());
    assert_eq!(account_only.source_allowed_origins, None);

    let other = app.account().await;
    assert!(matches!(
        app.store
            .set_source_origins(other.id, source.id, &origins)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.owner_of(new_id(), None).await,
        Err(StoreError::NotFound)
    ));
}

async fn a_logged_spam_post_reads_back_with_its_reasons(app: TestApp) {
    let spam = kept_spam(&app, &[("name", "Ann Lee")]).await;
    let read = app
        .store
        .get_submission(spam.submission.id)
        .await
        .expect("read");
    assert_eq!(read.outcome, Outcome::Spam);
    assert_eq!(read.spam_reasons, vec![SpamReason::Honeypot]);
    assert_eq!(read.fields, spam.submission.fields);
    assert!(matches!(
        app.store.get_submission(new_id()).await,
        Err(StoreError::NotFound)
    ));
}

async fn kept_spam_is_released_into_a_client_once(app: TestApp) {
    let spam = kept_spam(&app, &[("name", "Ann Lee"), ("email", "ann@example.com")]).await;
    let ReleaseOutcome::Released { client_id } =
        app.store.release_spam(&spam).await.expect("released")
    else {
        panic!("a kept spam post is released");
    };
    let client = app.store.get_client(client_id).await.expect("the client");
    assert_eq!(client.fields.email(), Some("ann@example.com"));
    let read = app
        .store
        .get_submission(spam.submission.id)
        .await
        .expect("read");
    assert_eq!(read.outcome, Outcome::Spam, "a released post stays spam");
    assert_eq!(read.released_client_id, Some(client_id));
    assert!(read.released_at.is_some());
    assert_eq!(
        app.store.release_spam(&spam).await.expect("answered"),
        ReleaseOutcome::NotReleasable
    );
}

async fn a_post_that_is_not_spam_is_not_releasable(app: TestApp) {
    let mut post = kept_spam(&app, &[("name", "Ann Lee")]).await;
    post.submission = submission(post.submission.account_id, Outcome::Rejected, Some("ct104"));
    app.store
        .record_rejection(&post.submission)
        .await
        .expect("logged");
    assert_eq!(
        app.store.release_spam(&post).await.expect("answered"),
        ReleaseOutcome::NotReleasable
    );
}

async fn a_release_for_a_taken_email_keeps_the_post_spam_with_ct103(app: TestApp) {
    let pairs = [("name", "Ann Lee"), ("email", "ann@example.com")];
    let spam = kept_spam(&app, &pairs).await;
    let first = lead(spam.owner.clone(), &pairs);
    let AcceptOutcome::Created { client_id } = app.store.accept_lead(&first).await.expect("stored")
    else {
        panic!("the first post creates a client");
    };
    assert_eq!(
        app.store.release_spam(&spam).await.expect("answered"),
        ReleaseOutcome::DuplicateEmail {
            existing_client_id: client_id
        }
    );
    let read = app
        .store
        .get_submission(spam.submission.id)
        .await
        .expect("read");
    assert_eq!(read.release_error_code.as_deref(), Some("ct103"));
    assert_eq!(read.released_client_id, None);
}

async fn a_client_marked_spam_is_removed_and_its_post_kept_as_spam(app: TestApp) {
    let account = app.account().await;
    let owner = app.store.owner_of(account.id, None).await.expect("owner");
    let post = lead(owner, &[("name", "Bo Bot"), ("email", "bo@example.com")]);
    let AcceptOutcome::Created { client_id } = app.store.accept_lead(&post).await.expect("stored")
    else {
        panic!("the post creates a client");
    };
    let submission_id = app.store.mark_client_spam(client_id).await.expect("marked");
    assert_eq!(submission_id, post.submission.id);
    assert!(matches!(
        app.store.get_client(client_id).await,
        Err(StoreError::NotFound)
    ));
    let read = app.store.get_submission(submission_id).await.expect("read");
    assert_eq!(read.outcome, Outcome::Spam);
    assert_eq!(read.spam_reasons, vec![SpamReason::Manual]);
    assert!(matches!(
        app.store.mark_client_spam(client_id).await,
        Err(StoreError::NotFound)
    ));
}

on_both_stores!(
    spam_settings_read_back_the_defaults_then_what_was_set,
    a_lead_sources_origin_rules_read_back_through_owner_of,
    a_logged_spam_post_reads_back_with_its_reasons,
    kept_spam_is_released_into_a_client_once,
    a_post_that_is_not_spam_is_not_releasable,
    a_release_for_a_taken_email_keeps_the_post_spam_with_ct103,
    a_client_marked_spam_is_removed_and_its_post_kept_as_spam,
);
