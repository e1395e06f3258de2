//! The inbound store methods, run against both backends: inbound tokens, parsers, vendor lead ids
//! the reparse writes, and the submission log's channel filter.

use leadpost::inbound::ParserSpec;
use leadpost::store::{
    Channel, LeadToStore, Outcome, Page, ReparseOutcome, StoreError, SubmissionFilter, VendorLead,
    new_id,
};
use serde_json::json;

use crate::helpers::{TestApp, on_both_stores};
use crate::store_conformance::submission;

fn spec(name: &str, position: Option<i64>) -> ParserSpec {
    serde_json::from_value(json!({
        "name": name,
        "position": position,
        "terms": [{"term": "Name", "start": "Name:"}]
    }))
    .expect("spec")
}

async fn an_inbound_token_finds_its_source_in_any_case_until_rotated(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let token = source.inbound_token.clone();
    let found = app
        .store
        .find_inbound_source(&token.to_uppercase())
        .await
        .expect("looked up");
    assert_eq!(found, Some((account.id, source.id)));
    app.store
        .rotate_inbound_token(account.id, source.id)
        .await
        .expect("rotated");
    assert_eq!(
        app.store.find_inbound_source(&token).await.expect("ok"),
        None
    );
    let rotated = app
        .store
        .get_lead_source(account.id, source.id)
        .await
        .expect("read");
    assert_ne!(rotated.inbound_token, token);
    assert!(matches!(
        app.store.rotate_inbound_token(new_id(), source.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn parsers_are_kept_in_position_order_and_replaced_in_place(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let store = &app.store;
    let a = store
        .create_parser(account.id, source.id, &spec("A", None))
        .await
        .expect("a");
    let b = store
        .create_parser(account.id, source.id, &spec("B", None))
        .await
        .expect("b");
    assert_eq!((a.position, b.position), (0, 1));
    store
        .create_parser(account.id, source.id, &spec("C", Some(0)))
        .await
        .expect("c");
    let names: Vec<String> = store
        .list_parsers(source.id)
        .await
        .expect("listed")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["A", "C", "B"]);
    let replaced = store
        .replace_parser(source.id, b.id, &spec("B2", None))
        .await
        .expect("replaced");
    assert_eq!((replaced.name.as_str(), replaced.position), ("B2", 1));
    store.delete_parser(source.id, a.id).await.expect("deleted");
    assert!(matches!(
        store.get_parser(source.id, a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .create_parser(new_id(), source.id, &spec("X", None))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn vendor_lead_ids_are_remembered_until_their_client_is_forgotten(app: TestApp) {
    let account = app.account().await;
    let lead = VendorLead {
        client_id: new_id(),
        submission_id: new_id(),
    };
    let store = &app.store;
    assert_eq!(
        store
            .vendor_lead(account.id, "thumbtack", "1")
            .await
            .expect("ok"),
        None
    );
    store
        .remember_vendor_lead(account.id, "thumbtack", "1", lead)
        .await
        .expect("remembered");
    assert_eq!(
        store
            .vendor_lead(account.id, "thumbtack", "1")
            .await
            .expect("ok"),
        Some(lead)
    );
    assert_eq!(
        store
            .vendor_lead(account.id, "angi", "1")
            .await
            .expect("ok"),
        None
    );
    assert_eq!(
        store.forget_vendor_leads(lead.client_id).await.expect("ok"),
        1
    );
    assert_eq!(
        store
            .vendor_lead(account.id, "thumbtack", "1")
            .await
            .expect("ok"),
        None
    );
}

async fn a_reparse_writes_only_over_a_rejected_or_ignored_email(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let raw = crate::helpers::inbound::message("x@other.example", "Hi", &[], "Name: Ann\n");
    app.post_inbound(&source.inbound_token, "message/rfc822", raw)
        .await;
    let kept = app.last_submission(&account).await;
    let mut changed = kept.clone();
    changed.fields = vec![("name".into(), "Ann Lee".into())];
    changed.error_code = Some("ct104".into());
    assert!(app.store.record_reparse(&changed).await.expect("written"));
    let owner = app
        .store
        .owner_of(account.id, Some(source.id))
        .await
        .expect("owner");
    let lead = LeadToStore {
        owner,
        client: leadpost::service::intake::lead_of(&changed.fields, &Default::default())
            .expect("valid")
            .client,
        submission: changed,
        fingerprint: String::new(),
        replay_window_seconds: 0,
        request_id: None,
    };
    let ReparseOutcome::Accepted { client_id } =
        app.store.accept_reparse(&lead).await.expect("accepted")
    else {
        panic!("not accepted");
    };
    let row = app.store.get_submission(kept.id).await.expect("row");
    assert_eq!(row.client_id, Some(client_id));
    assert!(row.reparsed_at.is_some());
    // Accepted now: neither write touches it again.
    assert!(!app.store.record_reparse(&row).await.expect("ran"));
    assert_eq!(
        app.store.accept_reparse(&lead).await.expect("ran"),
        ReparseOutcome::NotReparsable
    );
}

async fn submissions_filter_by_channel(app: TestApp) {
    let account = app.account().await;
    for channel in [Channel::Email, Channel::Form, Channel::Form] {
        let mut logged = submission(Some(account.id), Outcome::Rejected, Some("ct102"));
        logged.channel = channel;
        app.store.record_rejection(&logged).await.expect("logged");
    }
    let listed = |channel: Option<Channel>| {
        let store = app.store.clone();
        async move {
            let filter = SubmissionFilter {
                account_id: Some(account.id),
                channel,
                ..Default::default()
            };
            store
                .list_submissions(&filter, Page::first(50))
                .await
                .expect("listed")
        }
    };
    let emails = listed(Some(Channel::Email)).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].channel, Channel::Email);
    assert_eq!(listed(Some(Channel::Form)).await.len(), 2);
    assert!(listed(Some(Channel::Vendor)).await.is_empty());
    assert_eq!(listed(None).await.len(), 3);
}

on_both_stores!(
    submissions_filter_by_channel,
    an_inbound_token_finds_its_source_in_any_case_until_rotated,
    parsers_are_kept_in_position_order_and_replaced_in_place,
    vendor_lead_ids_are_remembered_until_their_client_is_forgotten,
    a_reparse_writes_only_over_a_rejected_or_ignored_email,
);
