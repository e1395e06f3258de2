//! Every console store method on both backends: the session's account, inbox visits, the unread
//! count, notes and tags added and removed, a lead's origin, the inbox's search and filters and
//! the jobs of one client.

use leadpost::store::{ClientFilter, JobFilter, NewUser, Page, StoreError};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::helpers::{TestApp, on_both_stores, plan_with_webhook};

async fn user(app: &TestApp) -> Uuid {
    app.store
        .create_user(&NewUser {
            email: crate::helpers::people::email("store"),
            password_hash: None,
            operator: false,
            invite: None,
        })
        .await
        .expect("user")
        .id
}

async fn lead(app: &TestApp, account: &leadpost::store::Account, pairs: &[(&str, &str)]) -> Uuid {
    app.console_lead(account, pairs)
        .await
        .parse()
        .expect("an id")
}

async fn a_session_keeps_its_chosen_account(app: TestApp) {
    let account = app.account().await;
    let user = user(&app).await;
    let hash = "a".repeat(64);
    app.store
        .create_session(&hash, user, "csrf", OffsetDateTime::now_utc())
        .await
        .expect("session");
    assert_eq!(app.store.session_account(&hash).await.expect("read"), None);
    app.store
        .set_session_account(&hash, account.id)
        .await
        .expect("kept");
    assert_eq!(
        app.store.session_account(&hash).await.expect("read"),
        Some(account.id)
    );
    assert_eq!(app.store.session_account("none").await.expect("read"), None);
}

async fn an_inbox_visit_is_remembered_per_person_and_account(app: TestApp) {
    let account = app.account().await;
    let user = user(&app).await;
    let store = &app.store;
    assert_eq!(
        store
            .last_inbox_visit(user, account.id)
            .await
            .expect("read"),
        None
    );
    let first = OffsetDateTime::now_utc() - Duration::hours(1);
    store
        .record_inbox_visit(user, account.id, first)
        .await
        .expect("kept");
    let later = first + Duration::minutes(30);
    store
        .record_inbox_visit(user, account.id, later)
        .await
        .expect("kept");
    let seen = store
        .last_inbox_visit(user, account.id)
        .await
        .expect("read")
        .expect("a visit");
    assert!((seen - later).abs() < Duration::milliseconds(1));
}

async fn unread_notifications_are_counted_per_account(app: TestApp) {
    let (account, other) = (app.account().await, app.account().await);
    let pairs = [("name", "Ann"), ("new_lead_notification", "1")];
    lead(&app, &account, &pairs).await;
    lead(&app, &other, &pairs).await;
    assert_eq!(
        app.store
            .count_unread_notifications(account.id)
            .await
            .expect("n"),
        1
    );
    let id = app
        .store
        .list_notifications(account.id, Page::first(1))
        .await
        .expect("listed")[0]
        .id;
    app.store
        .set_notification_read(account.id, id, true)
        .await
        .expect("read");
    assert_eq!(
        app.store
            .count_unread_notifications(account.id)
            .await
            .expect("n"),
        0
    );
}

async fn notes_and_tags_are_added_and_removed_on_the_accounts_own_client(app: TestApp) {
    let (account, other) = (app.account().await, app.account().await);
    let id = lead(&app, &account, &[("name", "Ann"), ("tag", "Roof")]).await;
    let store = &app.store;
    let now = OffsetDateTime::now_utc();
    store
        .add_note(account.id, id, "Called.", now)
        .await
        .expect("noted");
    store
        .add_tag(account.id, id, "Hot", now)
        .await
        .expect("tagged");
    store
        .add_tag(account.id, id, "hot", now)
        .await
        .expect("no change");
    store
        .add_tag(account.id, id, "ROOF", now)
        .await
        .expect("no change");
    let client = store.get_client(id).await.expect("client");
    assert_eq!(client.tags, ["Roof", "Hot"]);
    assert_eq!(client.notes[0].body, "Called.");
    assert!(
        store
            .remove_tag(account.id, id, "roof")
            .await
            .expect("removed")
    );
    assert!(
        !store
            .remove_tag(account.id, id, "roof")
            .await
            .expect("gone")
    );
    assert_eq!(store.get_client(id).await.expect("client").tags, ["Hot"]);
    for result in [
        store.add_note(other.id, id, "x", now).await,
        store.add_tag(other.id, id, "x", now).await,
        store.remove_tag(other.id, id, "Hot").await.map(|_| ()),
    ] {
        assert!(matches!(result, Err(StoreError::NotFound)), "{result:?}");
    }
}

async fn a_leads_origin_is_its_post_with_the_request_id(app: TestApp) {
    let (account, other) = (app.account().await, app.account().await);
    let response = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .header("x-request-id", "req-origin-1")
        .form(&[("web_key", account.web_key.as_str()), ("name", "Ann")])
        .send()
        .await
        .expect("posted");
    assert_eq!(response.status().as_u16(), 200);
    let id = app.latest_client(&account).await.expect("client").id;
    let origin = app
        .store
        .lead_origin(account.id, id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(origin.request_id.as_deref(), Some("req-origin-1"));
    assert_eq!(origin.submission.client_id, Some(id));
    assert!(
        origin
            .submission
            .fields
            .iter()
            .any(|(n, v)| n == "name" && v == "Ann")
    );
    assert!(
        app.store
            .lead_origin(other.id, id)
            .await
            .expect("read")
            .is_none()
    );
}

async fn clients_are_found_by_search_source_and_dates(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let ann = lead(
        &app,
        &account,
        &[("name", "Ann 100%_Lee"), ("email", "ann@example.com")],
    )
    .await;
    let bob = app
        .console_lead(
            &leadpost::store::Account {
                web_key: source.web_key.clone(),
                ..account.clone()
            },
            &[("name", "Bob"), ("phone", "8015551234")],
        )
        .await
        .parse::<Uuid>()
        .expect("id");
    let found = |filter: ClientFilter| {
        let store = app.store.clone();
        let id = account.id;
        async move {
            store
                .list_clients(id, &filter, Page::first(10))
                .await
                .expect("listed")
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let search = |s: &str| ClientFilter {
        search: Some(s.into()),
        ..ClientFilter::default()
    };
    assert_eq!(found(search("100%_L")).await, [ann]);
    assert_eq!(
        found(search("100%%")).await,
        Vec::<Uuid>::new(),
        "% is literal"
    );
    assert_eq!(found(search("ANN@")).await, [ann]);
    assert_eq!(found(search("(801) 555-1234")).await, [bob]);
    let by_source = ClientFilter {
        lead_source_id: Some(source.id),
        ..ClientFilter::default()
    };
    assert_eq!(found(by_source).await, [bob]);
    let before_all = ClientFilter {
        created_before: Some(OffsetDateTime::now_utc() - Duration::days(1)),
        ..ClientFilter::default()
    };
    assert!(found(before_all).await.is_empty());
}

async fn jobs_are_listed_for_one_client(app: TestApp) {
    let account = app.account().await;
    let plan = plan_with_webhook(&app, account.id, &[0]).await;
    let source = app.lead_source(&account, Some(plan)).await;
    let by_source = leadpost::store::Account {
        web_key: source.web_key.clone(),
        ..account.clone()
    };
    let first = lead(&app, &by_source, &[("name", "Ann")]).await;
    let second = lead(&app, &by_source, &[("name", "Bob")]).await;
    let filter = JobFilter {
        client_id: Some(first),
        ..JobFilter::default()
    };
    let jobs = app
        .store
        .list_jobs_with_attempts(account.id, &filter, Page::first(50))
        .await
        .expect("listed");
    assert!(!jobs.is_empty());
    assert!(jobs.iter().all(|j| j.job.client_id == Some(first)));
    assert!(jobs.iter().all(|j| j.job.client_id != Some(second)));
}

on_both_stores!(
    a_session_keeps_its_chosen_account,
    an_inbox_visit_is_remembered_per_person_and_account,
    unread_notifications_are_counted_per_account,
    notes_and_tags_are_added_and_removed_on_the_accounts_own_client,
    a_leads_origin_is_its_post_with_the_request_id,
    clients_are_found_by_search_source_and_dates,
    jobs_are_listed_for_one_client,
);
