//! Bad input to the people routes (422 naming the field, nothing half-created), and no password or
//! token in any log line of a running `leadpost serve`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::people::PASSWORD;
use crate::helpers::process::ServeProcess;
use crate::helpers::{ADMIN_TOKEN, TestApp, json_of, on_both_stores};

fn field_of(body: &Value) -> &str {
    body["fields"][0]["field"].as_str().unwrap_or_default()
}

async fn bad_user_input_names_the_field_and_creates_nothing(app: TestApp) {
    let long = format!("{}@example.com", "a".repeat(250));
    for (body, field) in [
        (json!({"email": long}), "email"),
        (
            json!({"email": "x@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"email": "x@example.com", "operator": "yes"}),
            "operator",
        ),
    ] {
        let (status, answer) = app.admin_post("/admin/v1/users", body).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(field_of(&answer), field, "{answer}");
    }
    let (_, users) = app.admin_get("/admin/v1/users").await;
    assert_eq!(users["users"], json!([]));
}

async fn an_unknown_role_or_scope_names_the_field(app: TestApp) {
    let account = app.account().await;
    let (status, answer) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/members", account.id),
            json!({"email": "x@example.com", "role": "admin"}),
        )
        .await;
    assert_eq!((status, field_of(&answer)), (422, "role"), "{answer}");
    let (_, users) = app.admin_get("/admin/v1/users").await;
    assert_eq!(users["users"], json!([]), "no user half-created");
    let (status, answer) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/api-tokens", account.id),
            json!({"name": "ci", "scope": "all"}),
        )
        .await;
    assert_eq!((status, field_of(&answer)), (422, "scope"), "{answer}");
}

async fn a_short_new_password_names_the_field(app: TestApp) {
    let account = app.account().await;
    let session = app.login(&app.member(&account, "viewer").await).await;
    let (status, answer) = app
        .as_session(
            &session,
            Method::POST,
            "/admin/v1/me/password",
            Some(json!({"current_password": PASSWORD, "new_password": "short"})),
        )
        .await;
    assert_eq!(
        (status, field_of(&answer)),
        (422, "new_password"),
        "{answer}"
    );
}

on_both_stores!(
    bad_user_input_names_the_field_and_creates_nothing,
    an_unknown_role_or_scope_names_the_field,
    a_short_new_password_names_the_field,
);

#[tokio::test]
async fn no_password_or_token_reaches_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("people.db").display());
    let served = ServeProcess::start(&db, &[], |command| {
        command
            .env("LEADPOST_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("RUST_LOG", "debug");
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let base = format!("http://{}", served.address.trim_start_matches("http://"));
    let admin = |method: Method, path: &str, body: Value| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
    };
    let (_, account) = json_of(
        admin(Method::POST, "/admin/v1/accounts", json!({"name": "A"}))
            .await
            .expect("sent"),
    )
    .await;
    let account_id = account["id"].as_str().expect("id");
    admin(
        Method::POST,
        "/admin/v1/users",
        json!({"email": "log@example.com", "password": PASSWORD}),
    )
    .await
    .expect("sent");
    let (_, invited) = json_of(
        admin(
            Method::POST,
            "/admin/v1/users",
            json!({"email": "new@example.com"}),
        )
        .await
        .expect("sent"),
    )
    .await;
    let invite = invited["invite_url"].as_str().expect("invite").to_string();
    let (_, token) = json_of(
        admin(
            Method::POST,
            &format!("/admin/v1/accounts/{account_id}/api-tokens"),
            json!({"name": "ci", "scope": "read"}),
        )
        .await
        .expect("sent"),
    )
    .await;
    let token = token["token"].as_str().expect("token").to_string();
    for password in [PASSWORD, "a wrong password"] {
        http.post(format!("{base}/console/login"))
            .form(&[("email", "log@example.com"), ("password", password)])
            .send()
            .await
            .expect("sent");
    }
    http.get(format!("{base}/admin/v1/accounts/{account_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("sent");
    let secret = invite.rsplit('/').next().expect("token").to_string();
    let log = served.log().join("\n");
    for needle in [
        PASSWORD,
        "a wrong password",
        token.as_str(),
        secret.as_str(),
        ADMIN_TOKEN,
    ] {
        assert!(!log.contains(needle), "the log shows a secret");
    }
}
