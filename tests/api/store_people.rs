//! Every people and credential store method, on both backends.

use leadpost::people::{Role, TokenScope};
use leadpost::store::{
    InviteUse, NewApiToken, NewInvite, NewUser, OwnedObject, OwnerCheck, Page, StoreError, User,
};
use time::{Duration, OffsetDateTime};

use crate::helpers::{TestApp, on_both_stores};

fn hex(c: char) -> String {
    c.to_string().repeat(64)
}

async fn new_user(app: &TestApp, email: &str, invite: Option<NewInvite>) -> User {
    app.store
        .create_user(&NewUser {
            email: email.into(),
            password_hash: None,
            operator: false,
            invite,
        })
        .await
        .expect("created")
}

async fn users_are_unique_by_email_and_read_back(app: TestApp) {
    let user = new_user(&app, "a@example.com", None).await;
    let again = app
        .store
        .create_user(&NewUser {
            email: "a@example.com".into(),
            password_hash: Some("h".into()),
            operator: true,
            invite: None,
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict("email"))));
    assert_eq!(app.store.get_user(user.id).await.expect("read"), user);
    let login = app
        .store
        .find_user_login("a@example.com")
        .await
        .expect("found");
    assert_eq!(login.map(|l| l.user), Some(user.clone()));
    assert!(
        app.store
            .find_user_login("b@example.com")
            .await
            .expect("read")
            .is_none()
    );
    let listed = app.store.list_users(Page::first(10)).await.expect("listed");
    assert_eq!(listed, std::slice::from_ref(&user));
    app.store
        .set_password(user.id, "hash", None)
        .await
        .expect("set");
    let login = app.store.get_user_login(user.id).await.expect("read");
    assert_eq!(login.password_hash.as_deref(), Some("hash"));
    assert_eq!(
        app.store.delete_user(user.id).await.expect("deleted"),
        OwnerCheck::Done
    );
    assert!(matches!(
        app.store.get_user(user.id).await,
        Err(StoreError::NotFound)
    ));
}

async fn memberships_keep_an_owner(app: TestApp) {
    let account = app.account().await;
    let (a, b) = (
        new_user(&app, "a@example.com", None).await,
        new_user(&app, "b@example.com", None).await,
    );
    let store = &app.store;
    let member = store
        .add_member(account.id, a.id, Role::Owner)
        .await
        .expect("added");
    assert_eq!(member.role, Role::Owner);
    assert!(matches!(
        store.add_member(account.id, a.id, Role::Viewer).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store
            .set_member_role(account.id, a.id, Role::Viewer)
            .await
            .expect("ran"),
        OwnerCheck::LastOwner
    );
    assert_eq!(
        store.remove_member(account.id, a.id).await.expect("ran"),
        OwnerCheck::LastOwner
    );
    assert_eq!(
        store.delete_user(a.id).await.expect("ran"),
        OwnerCheck::LastOwner
    );
    store
        .add_member(account.id, b.id, Role::Owner)
        .await
        .expect("added");
    assert_eq!(
        store
            .set_member_role(account.id, a.id, Role::Member)
            .await
            .expect("ran"),
        OwnerCheck::Done
    );
    assert_eq!(
        store.membership_role(account.id, a.id).await.expect("read"),
        Some(Role::Member)
    );
    assert_eq!(
        store.list_members(account.id).await.expect("listed").len(),
        2
    );
    assert_eq!(store.list_memberships(a.id).await.expect("listed").len(), 1);
    let accounts = store
        .list_accounts_of_user(a.id, Page::first(10))
        .await
        .expect("listed");
    assert_eq!(accounts.len(), 1);
    assert_eq!(
        store.remove_member(account.id, a.id).await.expect("ran"),
        OwnerCheck::Done
    );
    assert_eq!(
        store.membership_role(account.id, a.id).await.expect("read"),
        None
    );
}

async fn an_invite_is_used_once_and_expires(app: TestApp) {
    let now = OffsetDateTime::now_utc();
    let invite = |c: char, ttl: Duration| NewInvite {
        token_hash: hex(c),
        expires_at: now + ttl,
    };
    let user = new_user(&app, "i@example.com", Some(invite('a', Duration::days(1)))).await;
    app.store
        .create_invite(user.id, &invite('b', Duration::seconds(-1)))
        .await
        .expect("made");
    let store = &app.store;
    assert_eq!(
        store.invite_usable(&hex('a'), now).await.expect("read"),
        InviteUse::Accepted(user.id)
    );
    assert_eq!(
        store.invite_usable(&hex('b'), now).await.expect("read"),
        InviteUse::Gone
    );
    assert_eq!(
        store.use_invite(&hex('a'), "h", now).await.expect("used"),
        InviteUse::Accepted(user.id)
    );
    assert_eq!(
        store.use_invite(&hex('a'), "h", now).await.expect("ran"),
        InviteUse::Gone
    );
    assert!(matches!(
        store.use_invite(&hex('c'), "h", now).await,
        Err(StoreError::NotFound)
    ));
}

async fn api_tokens_are_found_by_hash_touched_and_revoked(app: TestApp) {
    let account = app.account().await;
    let store = &app.store;
    let token = store
        .create_api_token(&NewApiToken {
            account_id: account.id,
            name: "ci".into(),
            scope: TokenScope::Write,
            token_hash: hex('d'),
            expires_at: None,
        })
        .await
        .expect("made");
    let now = OffsetDateTime::now_utc();
    store.touch_api_token(token.id, now).await.expect("touched");
    let found = store
        .find_api_token(&hex('d'))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.scope, TokenScope::Write);
    assert!(found.last_used_at.is_some() && found.is_live(now));
    assert_eq!(
        store
            .list_api_tokens(account.id)
            .await
            .expect("listed")
            .len(),
        1
    );
    store
        .revoke_api_token(account.id, token.id, now)
        .await
        .expect("revoked");
    assert!(matches!(
        store.revoke_api_token(account.id, token.id, now).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .list_api_tokens(account.id)
            .await
            .expect("listed")
            .is_empty()
    );
    let found = store
        .find_api_token(&hex('d'))
        .await
        .expect("read")
        .expect("kept");
    assert!(!found.is_live(now));
}

async fn sessions_are_kept_by_hash_touched_and_ended(app: TestApp) {
    let user = new_user(&app, "s@example.com", None).await;
    let store = &app.store;
    let now = OffsetDateTime::now_utc();
    store
        .create_session(&hex('e'), user.id, "csrf", now)
        .await
        .expect("made");
    store
        .create_session(&hex('f'), user.id, "csrf", now)
        .await
        .expect("made");
    let later = now + Duration::minutes(5);
    store
        .touch_session(&hex('e'), later)
        .await
        .expect("touched");
    let session = store
        .find_session(&hex('e'))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(session.user_id, user.id);
    assert!(session.last_seen_at > session.created_at);
    store
        .set_password(user.id, "h", Some(&hex('e')))
        .await
        .expect("set");
    assert!(
        store.find_session(&hex('f')).await.expect("read").is_none(),
        "others end"
    );
    store.delete_session(&hex('e')).await.expect("ended");
    assert!(store.find_session(&hex('e')).await.expect("read").is_none());
}

async fn an_objects_account_is_found(app: TestApp) {
    let account = app.account().await;
    app.post_form(&[
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("client");
    let store = &app.store;
    assert_eq!(
        store
            .account_of(OwnedObject::Client, client.id)
            .await
            .expect("read"),
        Some(account.id)
    );
    assert_eq!(
        store
            .account_of(OwnedObject::Job, client.id)
            .await
            .expect("read"),
        None
    );
}

on_both_stores!(
    users_are_unique_by_email_and_read_back,
    memberships_keep_an_owner,
    an_invite_is_used_once_and_expires,
    api_tokens_are_found_by_hash_touched_and_revoked,
    sessions_are_kept_by_hash_touched_and_ended,
    an_objects_account_is_found,
);
