//! The audit log (DESIGN §14, §15 "Data"): every successful write through the admin API is
//! recorded with who (each kind of actor), what, which object, when and from where; read back by
//! owners and operators with filters and paging. Never a secret.

use leadpost::admin::audit::{NOT_WRITES, audited};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::process::{ServeProcess, run_cli, value_of};
use crate::helpers::{ADMIN_TOKEN, TestApp, on_both_stores};

fn audit_path(account: &leadpost::store::Account, query: &str) -> String {
    format!("/admin/v1/accounts/{}/audit{query}", account.id)
}

/// The account's entries, newest first.
async fn entries(app: &TestApp, account: &leadpost::store::Account, query: &str) -> Vec<Value> {
    let (status, body) = app.admin_get(&audit_path(account, query)).await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().expect("entries").clone()
}

#[tokio::test]
async fn a_method_the_path_does_not_serve_is_405_and_not_logged_as_a_write_without_a_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let account = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let account_id = value_of(&account, "account id:");
    let mut serve = ServeProcess::start(&db, &[], |command| {
        command.env("LEADPOST_ADMIN_TOKEN", ADMIN_TOKEN);
    });
    let only_read = format!(
        "{}/admin/v1/accounts/{account_id}/lead-sources/{}",
        serve.address,
        uuid::Uuid::now_v7()
    );
    let response = reqwest::Client::new()
        .delete(&only_read)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 405);
    serve.stop("-TERM");
    let warned = serve.count_lines(|line| line.contains("without an audit row"));
    assert_eq!(warned, 0, "{:?}", serve.log());
}

async fn every_documented_write_has_an_audit_action(app: TestApp) {
    let doc: Value = app.get("/openapi.json").await.json().await.expect("json");
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/admin/")) {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            if NOT_WRITES.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            if audited(&method, path).is_none() {
                missing.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "writes without an audit row: {missing:?}"
    );
}

async fn an_operator_write_is_recorded_with_its_object_and_address(app: TestApp) {
    let account = app.account().await;
    let (status, source) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/lead-sources", account.id),
            json!({"name": "Website"}),
        )
        .await;
    assert_eq!(status, 201, "{source}");
    let found = entries(&app, &account, "").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let entry = &found[0];
    assert_eq!(entry["action"], "lead_source.create");
    assert_eq!(entry["object_type"], "lead_source");
    assert_eq!(entry["object_id"], source["id"]);
    assert_eq!(entry["actor"], json!({"kind": "operator", "id": null}));
    assert_eq!(entry["ip"], "127.0.0.1");
    assert!(entry["at"].as_str().is_some() && entry["id"].as_str().is_some());
}

async fn a_user_write_names_the_user(app: TestApp) {
    let account = app.account().await;
    let email = app.member(&account, "owner").await;
    let session = app.login(&email).await;
    let path = format!("/admin/v1/accounts/{}/retention", account.id);
    let (status, _) = app
        .as_session(
            &session,
            Method::PATCH,
            &path,
            Some(json!({"lead_days": 30})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = app
        .as_session(&session, Method::GET, "/admin/v1/me", None)
        .await;
    let found = entries(&app, &account, "?action=retention.update").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["actor"], json!({"kind": "user", "id": me["id"]}));
    assert_eq!(found[0]["object_id"], account.id.to_string());
}

async fn a_token_write_names_the_token_and_never_its_secret(app: TestApp) {
    let account = app.account().await;
    let (status, created) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/api-tokens", account.id),
            json!({"name": "ci", "scope": "owner"}),
        )
        .await;
    assert_eq!(status, 201);
    let token = created["token"].as_str().expect("token");
    let path = format!("/admin/v1/accounts/{}/spam", account.id);
    let (status, _) = app
        .as_token(token, Method::PATCH, &path, Some(json!({"max_links": 2})))
        .await;
    assert_eq!(status, 200);
    let found = entries(&app, &account, "").await;
    assert_eq!(found[0]["action"], "spam_settings.update");
    assert_eq!(
        found[0]["actor"],
        json!({"kind": "token", "id": created["id"]})
    );
    assert_eq!(found[1]["action"], "api_token.create");
    assert_eq!(found[1]["object_id"], created["id"]);
    assert!(!Value::Array(found).to_string().contains(token));
}

async fn a_refused_write_is_not_recorded(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/retention", account.id);
    let (status, _) = app
        .admin_send(Method::PATCH, &path, json!({"lead_days": 0}))
        .await;
    assert_eq!(status, 422);
    assert!(entries(&app, &account, "").await.is_empty());
}

async fn entries_are_filtered_and_paged(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/retention", account.id);
    for days in 1..=3 {
        app.admin_send(Method::PATCH, &path, json!({"lead_days": days}))
            .await;
    }
    app.admin_post(
        &format!("/admin/v1/accounts/{}/rotate-key", account.id),
        json!({}),
    )
    .await;
    assert_eq!(
        entries(&app, &account, "?action=retention.update")
            .await
            .len(),
        3
    );
    assert_eq!(
        entries(&app, &account, "?actor_kind=operator").await.len(),
        4
    );
    assert!(entries(&app, &account, "?actor_kind=cli").await.is_empty());
    assert!(
        entries(&app, &account, "?since=2999-01-01")
            .await
            .is_empty()
    );
    assert!(
        entries(&app, &account, "?until=2000-01-01")
            .await
            .is_empty()
    );
    let (_, first) = app.admin_get(&audit_path(&account, "?limit=3")).await;
    assert_eq!(first["entries"].as_array().expect("page").len(), 3);
    assert_eq!(first["entries"][0]["action"], "account.rotate_key");
    let next = first["next"].as_str().expect("a next page");
    let (_, second) = app
        .admin_get(&audit_path(&account, &format!("?limit=3&after={next}")))
        .await;
    assert_eq!(second["entries"].as_array().expect("page").len(), 1);
    let (status, body) = app
        .admin_get(&audit_path(&account, "?actor_kind=robot"))
        .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("actor_kind"));
}

async fn only_owners_and_operators_read_the_audit_log(app: TestApp) {
    let account = app.account().await;
    let path = audit_path(&account, "");
    let member = app.api_token(&account, "write").await;
    assert_eq!(app.as_token(&member, Method::GET, &path, None).await.0, 403);
    let owner = app.api_token(&account, "owner").await;
    assert_eq!(app.as_token(&owner, Method::GET, &path, None).await.0, 200);
}

on_both_stores!(
    every_documented_write_has_an_audit_action,
    an_operator_write_is_recorded_with_its_object_and_address,
    a_user_write_names_the_user,
    a_token_write_names_the_token_and_never_its_secret,
    a_refused_write_is_not_recorded,
    entries_are_filtered_and_paged,
    only_owners_and_operators_read_the_audit_log,
);

#[test]
fn a_cli_write_is_recorded_as_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("leadpost.db").display());
    let created = run_cli(&db, &["account", "create", "--name", "Acme"]);
    let account = value_of(&created, "account id:");
    let listed = run_cli(&db, &["--json", "audit", "list", "--account", &account]);
    let listed: Value = serde_json::from_str(&listed).expect("json");
    let entry = &listed["entries"][0];
    assert_eq!(entry["action"], "account.create");
    assert_eq!(entry["actor"], json!({"kind": "cli", "id": null}));
    assert_eq!(entry["object_id"], account.as_str());
    assert_eq!(entry["ip"], Value::Null);
}
