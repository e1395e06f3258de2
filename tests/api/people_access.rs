//! Who reaches what on the admin API: each role and token scope against each route family,
//! account isolation (another account's objects are 404, never 403), token revocation and expiry,
//! `me`, the last owner, and the operator-only routes.

use leadpost::store::Account;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, on_both_stores};

/// One representative request of each route family and whether a caller may make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Read,
    ActOnLeads,
    ManageAccount,
    People,
}

const FAMILIES: [Family; 4] = [
    Family::Read,
    Family::ActOnLeads,
    Family::ManageAccount,
    Family::People,
];

/// The family's request on the account: method, path and body.
fn request(family: Family, account: &Account) -> (Method, String, Option<serde_json::Value>) {
    let id = account.id;
    match family {
        Family::Read => (
            Method::GET,
            format!("/admin/v1/accounts/{id}/clients"),
            None,
        ),
        // An unknown notification of the account: 404 once allowed, 403 when not.
        Family::ActOnLeads => (
            Method::PATCH,
            format!(
                "/admin/v1/accounts/{id}/notifications/{}",
                uuid::Uuid::now_v7()
            ),
            Some(json!({"read": true})),
        ),
        Family::ManageAccount => (
            Method::POST,
            format!("/admin/v1/accounts/{id}/lead-sources"),
            Some(json!({"name": "Web"})),
        ),
        Family::People => (
            Method::GET,
            format!("/admin/v1/accounts/{id}/members"),
            None,
        ),
    }
}

/// The families a role (or the scope acting as it) may use.
fn allowed(role: &str, family: Family) -> bool {
    match role {
        "viewer" | "read" => family == Family::Read,
        "member" | "write" => matches!(family, Family::Read | Family::ActOnLeads),
        "owner" => true,
        // An owner token: everything but people and keys.
        "owner-token" => family != Family::People,
        _ => false,
    }
}

fn check(label: &str, family: Family, may: bool, status: u16) {
    if may {
        assert_ne!(status, 403, "{label} may use {family:?}");
        assert_ne!(status, 401, "{label} is signed in");
    } else {
        assert_eq!(status, 403, "{label} may not use {family:?}");
    }
}

async fn each_role_reaches_what_its_role_allows(app: TestApp) {
    let account = app.account().await;
    for role in ["viewer", "member", "owner"] {
        let session = app.login(&app.member(&account, role).await).await;
        for family in FAMILIES {
            let (method, path, body) = request(family, &account);
            let (status, _) = app.as_session(&session, method, &path, body).await;
            check(role, family, allowed(role, family), status);
        }
    }
}

async fn each_token_scope_acts_as_its_role_but_never_manages_people(app: TestApp) {
    let account = app.account().await;
    for scope in ["read", "write", "owner"] {
        let token = app.api_token(&account, scope).await;
        let label = if scope == "owner" {
            "owner-token"
        } else {
            scope
        };
        for family in FAMILIES {
            let (method, path, body) = request(family, &account);
            let (status, _) = app.as_token(&token, method, &path, body).await;
            check(label, family, allowed(label, family), status);
        }
    }
}

async fn another_accounts_objects_are_404_for_tokens_and_sessions(app: TestApp) {
    let (mine, theirs) = (app.account().await, app.account().await);
    app.post_form(&[
        ("web_key", theirs.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ])
    .await;
    let client = app.latest_client(&theirs).await.expect("their client");
    let token = app.api_token(&mine, "owner").await;
    let session = app.login(&app.member(&mine, "owner").await).await;
    let paths = [
        format!("/admin/v1/accounts/{}", theirs.id),
        format!("/admin/v1/accounts/{}/clients", theirs.id),
        format!("/admin/v1/accounts/{}/members", theirs.id),
        format!("/admin/v1/clients/{}", client.id),
    ];
    for path in &paths {
        let (status, _) = app.as_token(&token, Method::GET, path, None).await;
        assert_eq!(status, 404, "token: {path}");
        let (status, _) = app.as_session(&session, Method::GET, path, None).await;
        assert_eq!(status, 404, "session: {path}");
    }
}

async fn a_read_token_may_only_read(app: TestApp) {
    let account = app.account().await;
    let token = app.api_token(&account, "read").await;
    let path = format!("/admin/v1/accounts/{}", account.id);
    let (status, _) = app.as_token(&token, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let (status, _) = app
        .as_token(&token, Method::PATCH, &path, Some(json!({"name": "X"})))
        .await;
    assert_eq!(status, 403);
}

async fn global_routes_are_for_operators(app: TestApp) {
    let account = app.account().await;
    let token = app.api_token(&account, "owner").await;
    let session = app.login(&app.member(&account, "owner").await).await;
    for (method, path) in [
        (Method::POST, "/admin/v1/accounts"),
        (Method::GET, "/admin/v1/submissions"),
        (Method::GET, "/admin/v1/users"),
    ] {
        let body = Some(json!({"name": "New"}));
        let (status, _) = app
            .as_token(&token, method.clone(), path, body.clone())
            .await;
        assert_eq!(status, 403, "token {method} {path}");
        let (status, _) = app.as_session(&session, method.clone(), path, body).await;
        assert_eq!(status, 403, "session {method} {path}");
    }
}

async fn the_account_list_shows_a_user_their_own_accounts_and_refuses_tokens(app: TestApp) {
    let (mine, _theirs) = (app.account().await, app.account().await);
    let session = app.login(&app.member(&mine, "viewer").await).await;
    let (status, body) = app
        .as_session(&session, Method::GET, "/admin/v1/accounts", None)
        .await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["accounts"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, [mine.id.to_string()]);
    let token = app.api_token(&mine, "owner").await;
    let (status, _) = app
        .as_token(&token, Method::GET, "/admin/v1/accounts", None)
        .await;
    assert_eq!(status, 403);
}

async fn a_revoked_token_is_refused_at_once(app: TestApp) {
    let account = app.account().await;
    let token = app.api_token(&account, "read").await;
    let path = format!("/admin/v1/accounts/{}", account.id);
    let tokens = format!("/admin/v1/accounts/{}/api-tokens", account.id);
    let (_, list) = app.admin_get(&tokens).await;
    let listed = &list["api_tokens"][0];
    assert!(
        listed.get("token").is_none(),
        "the list never shows a token"
    );
    let id = listed["id"].as_str().expect("id");
    let response = app
        .admin(Method::DELETE, &format!("{tokens}/{id}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 204);
    let (status, _) = app.as_token(&token, Method::GET, &path, None).await;
    assert_eq!(status, 401);
}

async fn an_expired_or_unknown_token_is_refused(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}", account.id);
    let (status, body) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/api-tokens", account.id),
            json!({"name": "ci", "scope": "read", "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token");
    let (status, _) = app.as_token(token, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    app.exec("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'")
        .await;
    let (status, _) = app.as_token(token, Method::GET, &path, None).await;
    assert_eq!(status, 401);
    let unknown = format!("lpat_{}", "A".repeat(43));
    let (status, _) = app.as_token(&unknown, Method::GET, &path, None).await;
    assert_eq!(status, 401);
}

async fn a_token_use_is_recorded(app: TestApp) {
    let account = app.account().await;
    let token = app.api_token(&account, "read").await;
    let path = format!("/admin/v1/accounts/{}", account.id);
    app.as_token(&token, Method::GET, &path, None).await;
    let (_, list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/api-tokens", account.id))
        .await;
    assert!(list["api_tokens"][0]["last_used_at"].is_string(), "{list}");
}

async fn me_answers_for_the_admin_token_a_user_and_not_a_token(app: TestApp) {
    let (status, body) = app.admin_get("/admin/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"id": null, "email": null, "operator": true, "memberships": []})
    );
    let account = app.account().await;
    let email = app.member(&account, "member").await;
    let session = app.login(&email).await;
    let (status, body) = app
        .as_session(&session, Method::GET, "/admin/v1/me", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["email"], email.as_str());
    assert_eq!(
        body["memberships"],
        json!([{"account_id": account.id, "role": "member"}])
    );
    let token = app.api_token(&account, "owner").await;
    let (status, _) = app
        .as_token(&token, Method::GET, "/admin/v1/me", None)
        .await;
    assert_eq!(status, 403);
}

async fn an_account_keeps_its_last_owner(app: TestApp) {
    let account = app.account().await;
    let email = app.member(&account, "owner").await;
    let (_, me) = app
        .as_session(&app.login(&email).await, Method::GET, "/admin/v1/me", None)
        .await;
    let uid = me["id"].as_str().expect("id");
    let member = format!("/admin/v1/accounts/{}/members/{uid}", account.id);
    let (status, _) = app
        .admin_send(Method::PATCH, &member, json!({"role": "viewer"}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = app.admin_send(Method::DELETE, &member, json!({})).await;
    assert_eq!(status, 409);
    let (status, _) = app
        .admin_send(Method::DELETE, &format!("/admin/v1/users/{uid}"), json!({}))
        .await;
    assert_eq!(status, 409);
    app.member(&account, "owner").await;
    let (status, _) = app.admin_send(Method::DELETE, &member, json!({})).await;
    assert_eq!(status, 204);
}

async fn a_new_members_email_gets_an_invite(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/members", account.id),
            json!({"email": "New.Person@Example.com", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["email"], "new.person@example.com");
    assert_eq!(body["role"], "viewer");
    assert!(
        body["invite_url"]
            .as_str()
            .is_some_and(|u| u.contains("/console/invite/"))
    );
}

on_both_stores!(
    each_role_reaches_what_its_role_allows,
    each_token_scope_acts_as_its_role_but_never_manages_people,
    another_accounts_objects_are_404_for_tokens_and_sessions,
    a_read_token_may_only_read,
    global_routes_are_for_operators,
    the_account_list_shows_a_user_their_own_accounts_and_refuses_tokens,
    a_revoked_token_is_refused_at_once,
    an_expired_or_unknown_token_is_refused,
    a_token_use_is_recorded,
    me_answers_for_the_admin_token_a_user_and_not_a_token,
    an_account_keeps_its_last_owner,
    a_new_members_email_gets_an_invite,
);
