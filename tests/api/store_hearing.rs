//! Store conformance for hearing back, on both backends: the account settings, a lead source's
//! autoresponder (and what a key's owner carries of them), and the autoresponder's memory of the
//! addresses it answered, which erasure forgets through `forget_autoreply_address`.

use leadpost::store::{AccountChanges, Autoresponder, StoreError, new_id};

use crate::helpers::{TestApp, on_both_stores};

fn autoresponder() -> Autoresponder {
    Autoresponder {
        subject: "Thanks, {{ client.firstName }}".into(),
        body: "We call soon.".into(),
    }
}

async fn account_settings_are_stored_and_read_back(app: TestApp) {
    let account = app.account().await;
    let changed = app
        .store
        .update_account(
            account.id,
            &AccountChanges {
                display_name: Some(Some("Acme".into())),
                website_url: Some(Some("https://acme.example/".into())),
                lenient_phones: Some(true),
                new_lead_notification_default: Some(2),
                hosted_pages: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("updated");
    let read = app.store.get_account(account.id).await.expect("read");
    for a in [&changed, &read] {
        assert_eq!(a.display_name.as_deref(), Some("Acme"));
        assert_eq!(a.website_url.as_deref(), Some("https://acme.example/"));
        assert!(a.lenient_phones && a.hosted_pages);
        assert_eq!(a.new_lead_notification_default, 2);
    }
    let owner = app
        .store
        .find_key_owner(&account.web_key)
        .await
        .expect("resolves")
        .expect("owner");
    assert!(owner.lead_rules.lenient_phones);
    assert_eq!(owner.lead_rules.new_lead_notification_default.level(), 2);
    assert!(owner.hosted_pages);
}

async fn a_lead_sources_autoresponder_is_stored_read_back_and_cleared(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    assert_eq!(source.autoresponder, None);
    app.store
        .set_autoresponder(account.id, source.id, Some(&autoresponder()))
        .await
        .expect("set");
    let read = app
        .store
        .get_lead_source(account.id, source.id)
        .await
        .expect("read");
    assert_eq!(read.autoresponder, Some(autoresponder()));
    let owner = app
        .store
        .find_key_owner(&source.web_key)
        .await
        .expect("resolves")
        .expect("owner");
    assert_eq!(owner.autoresponder, Some(autoresponder()));
    let by_id = app
        .store
        .owner_of(account.id, Some(source.id))
        .await
        .expect("owner");
    assert_eq!(by_id.autoresponder, Some(autoresponder()));
    app.store
        .set_autoresponder(account.id, source.id, None)
        .await
        .expect("cleared");
    let read = app
        .store
        .get_lead_source(account.id, source.id)
        .await
        .expect("read");
    assert_eq!(read.autoresponder, None);
}

async fn another_accounts_lead_source_takes_no_autoresponder(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    let source = app.lead_source(&account, None).await;
    let refused = app
        .store
        .set_autoresponder(other.id, source.id, Some(&autoresponder()))
        .await;
    assert!(matches!(refused, Err(StoreError::NotFound)));
    let missing = app
        .store
        .set_autoresponder(account.id, new_id(), None)
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

async fn the_autoreply_memory_is_per_account_and_address_and_erasure_forgets_it(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    let source = app.lead_source(&account, None).await;
    app.store
        .set_autoresponder(account.id, source.id, Some(&autoresponder()))
        .await
        .expect("set");
    assert!(
        !app.store
            .autoreply_remembered(account.id, "ann@example.com")
            .await
            .expect("read")
    );
    let response = app
        .post_form(&[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "Ann@Example.com"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let remembered = |account_id, email: &'static str| {
        let store = app.store.clone();
        async move {
            store
                .autoreply_remembered(account_id, email)
                .await
                .expect("read")
        }
    };
    assert!(remembered(account.id, "ann@example.com").await);
    assert!(remembered(account.id, " ANN@EXAMPLE.COM").await);
    assert!(!remembered(other.id, "ann@example.com").await);
    assert!(!remembered(account.id, "bea@example.com").await);
    assert!(
        app.store
            .forget_autoreply_address(account.id, "ANN@example.com")
            .await
            .expect("forgotten")
    );
    assert!(!remembered(account.id, "ann@example.com").await);
    assert!(
        !app.store
            .forget_autoreply_address(account.id, "ann@example.com")
            .await
            .expect("nothing left")
    );
}

async fn the_memory_keeps_a_hash_never_the_address(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    app.store
        .set_autoresponder(account.id, source.id, Some(&autoresponder()))
        .await
        .expect("set");
    app.post_form(&[
        ("web_key", &source.web_key),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ])
    .await;
    // A hash of the address, and nothing else, finds the row.
    app.exec(&format!(
        "DELETE FROM autoreply_memory WHERE address_hash = '{}' AND address_hash NOT LIKE '%ann%'",
        leadpost::store::address_hash("ann@example.com")
    ))
    .await;
    assert!(
        !app.store
            .autoreply_remembered(account.id, "ann@example.com")
            .await
            .expect("read")
    );
}

on_both_stores!(
    account_settings_are_stored_and_read_back,
    a_lead_sources_autoresponder_is_stored_read_back_and_cleared,
    another_accounts_lead_source_takes_no_autoresponder,
    the_autoreply_memory_is_per_account_and_address_and_erasure_forgets_it,
    the_memory_keeps_a_hash_never_the_address,
);
