//! The console's writes in the audit log (DESIGN §14): a form that succeeds is recorded with the
//! signed-in user as the actor, the admin API's action name, the object and the address; a form
//! the role refuses records nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::people::Session;
use crate::helpers::{TestApp, on_both_stores};

/// The account's audit entries with this action, newest first.
async fn entries(app: &TestApp, account: &leadpost::store::Account, action: &str) -> Vec<Value> {
    let path = format!("/admin/v1/accounts/{}/audit?action={action}", account.id);
    let (status, body) = app.admin_get(&path).await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().expect("entries").clone()
}

/// The session's user id, as `GET /admin/v1/me` gives it.
async fn user_id(app: &TestApp, session: &Session) -> Value {
    let (_, me) = app
        .as_session(session, Method::GET, "/admin/v1/me", None)
        .await;
    me["id"].clone()
}

async fn a_console_note_is_recorded_as_the_users_write(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "member").await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    let answer = app
        .console_post(
            &session,
            &format!("/console/leads/{lead}/notes"),
            &[("note", "Called back")],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let found = entries(&app, &account, "client.add_note").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let me = user_id(&app, &session).await;
    assert_eq!(found[0]["actor"], json!({"kind": "user", "id": me}));
    assert_eq!(found[0]["object_type"], "client");
    assert_eq!(found[0]["object_id"], lead);
    assert_eq!(found[0]["ip"], "127.0.0.1");
}

async fn a_console_settings_write_uses_the_admin_apis_action(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "owner").await;
    let answer = app
        .console_post(
            &session,
            "/console/settings/tokens",
            &[("name", "Zapier"), ("scope", "read")],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.html);
    let token = app.store.list_api_tokens(account.id).await.expect("tokens")[0].id;
    let found = entries(&app, &account, "api_token.create").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["object_id"], token.to_string());
    assert_eq!(found[0]["actor"]["kind"], "user");
    let text = serde_json::to_string(&found).expect("json");
    assert!(!text.contains("lpat_"), "no secret in the log: {text}");
}

async fn a_console_write_the_role_refuses_is_not_recorded(app: TestApp) {
    let account = app.account().await;
    let viewer = app.console_as(&account, "viewer").await;
    let lead = app.console_lead(&account, &[("name", "Ann")]).await;
    let answer = app
        .console_post(
            &viewer,
            &format!("/console/leads/{lead}/notes"),
            &[("note", "Called back")],
        )
        .await;
    assert_eq!(answer.status, 403);
    let member = app.console_as(&account, "member").await;
    let blank = app
        .console_post(
            &member,
            &format!("/console/leads/{lead}/notes"),
            &[("note", "  ")],
        )
        .await;
    assert_eq!(blank.status, 303, "refused with a message");
    assert!(entries(&app, &account, "client.add_note").await.is_empty());
}

on_both_stores!(
    a_console_note_is_recorded_as_the_users_write,
    a_console_settings_write_uses_the_admin_apis_action,
    a_console_write_the_role_refuses_is_not_recorded,
);
