//! Hostile and broken posts: each gets its clear error or is stored safely; none
//! panics or answers 500.

use serde_json::Value;

use crate::helpers::{Backend, TestApp, on_both_stores, spawn_app_with};

async fn assert_ct104_json(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("json body");
    assert_eq!(body["Message"], "Error");
    assert_eq!(body["error_code"], "ct104");
    body
}

async fn malformed_urlencoding_is_ct104(app: TestApp) {
    let account = app.account().await;
    let body = format!(
        "web_key={}&name=Ann%ZZLee&OnErrorURL=http%3A%2F%2Flocalhost%2Foops",
        account.web_key
    );
    let response = app
        .post_raw(Some("application/x-www-form-urlencoded"), body)
        .await;
    // The body cannot be read, so OnErrorURL is not known: a JSON answer.
    let body = assert_ct104_json(response, 400).await;
    assert!(
        body["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("urlencoding")
    );
}

async fn invalid_utf8_is_ct104(app: TestApp) {
    let account = app.account().await;
    let mut body = format!("web_key={}&name=", account.web_key).into_bytes();
    body.extend_from_slice(b"\xff\xfeAnn");
    let response = app
        .post_raw(Some("application/x-www-form-urlencoded"), body)
        .await;
    let body = assert_ct104_json(response, 400).await;
    assert!(body["msg"].as_str().unwrap_or_default().contains("UTF-8"));
    let escaped = format!("web_key={}&name=%C3%28", account.web_key);
    assert_ct104_json(app.post_raw(None, escaped).await, 400).await;
}

async fn a_one_megabyte_body_is_413(app: TestApp) {
    let body = format!("name=Ann&notes={}", "a".repeat(1024 * 1024));
    let response = app
        .post_raw(Some("application/x-www-form-urlencoded"), body)
        .await;
    assert_ct104_json(response, 413).await;
}

async fn ten_thousand_distinct_fields_are_ct104_naming_expansion(app: TestApp) {
    let account = app.account().await;
    let mut body = format!("web_key={}&name=Ann", account.web_key);
    for i in 0..10_000 {
        body.push_str(&format!("&f{i}=v"));
    }
    let response = app.post_raw(None, body).await;
    let body = assert_ct104_json(response, 400).await;
    assert_eq!(body["fields"][0]["field"], "expansion");
}

async fn ten_thousand_repeats_of_one_field_are_accepted(app: TestApp) {
    let account = app.account().await;
    let mut body = format!("web_key={}&name=Ann", account.web_key);
    for _ in 0..10_000 {
        body.push_str("&tag=lead");
    }
    let response = app.post_raw(None, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.latest_client(&account).await.expect("stored").tags,
        vec!["lead".to_string()]
    );
}

async fn a_javascript_on_success_url_is_refused_and_never_echoed(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann"),
            ("OnSuccessURL", "javascript:alert(document.cookie)"),
        ])
        .await;
    assert!(response.headers().get("location").is_none());
    let body = assert_ct104_json(response, 400).await;
    assert_eq!(body["fields"][0]["field"], "OnSuccessURL");
    assert_eq!(app.client_count(&account).await, 0);
}

async fn cr_lf_inside_on_error_url_is_json_ct104(app: TestApp) {
    let response = app
        .post_form(&[
            ("web_key", "wrong"),
            ("name", "Ann"),
            (
                "OnErrorURL",
                "http://localhost/oops\r\nSet-Cookie: session=evil",
            ),
        ])
        .await;
    assert!(response.headers().get("set-cookie").is_none());
    assert!(response.headers().get("location").is_none());
    let body = assert_ct104_json(response, 400).await;
    assert!(
        body["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("OnErrorURL")
    );
}

async fn sql_metacharacters_are_stored_verbatim(app: TestApp) {
    let account = app.account().await;
    let name = "Robert'); DROP TABLE clients;-- \"x\" \\ %_";
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("firstName", name),
            ("lastName", "O'Brien"),
            ("Field'; DELETE FROM tags;--", "1' OR '1'='1"),
            ("tag", "a'b"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.fields.first_name(), name);
    assert_eq!(client.fields.last_name(), Some("O'Brien"));
    assert_eq!(
        client.custom_fields["Field'; DELETE FROM tags;--"],
        "1' OR '1'='1"
    );
    assert_eq!(client.tags, vec!["a'b".to_string()]);
    // A web_key made of SQL is simply unknown.
    let response = app
        .post_form(&[("web_key", "' OR 1=1 --"), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 401);
}

async fn html_in_every_field_is_stripped_or_refused(app: TestApp) {
    let account = app.account().await;
    let fields = leadpost::intake::form::reserved_names()
        .chain(["Custom <i>Field</i>"])
        .filter(|f| !matches!(*f, "web_key" | "OnSuccessURL" | "OnErrorURL" | "name"));
    for field in fields {
        let value = "<script>alert(1)</script><b>Smith &amp; Sons</b><img src=x onerror=alert(1)>";
        let response = app
            .post_form(&[
                ("web_key", &account.web_key),
                ("firstName", "Ann"),
                ("lastName", "Lee"),
                (field, value),
            ])
            .await;
        let status = response.status().as_u16();
        assert!(status == 200 || status == 400, "{field}: {status}");
        if status == 200 {
            let client = app.latest_client(&account).await.expect("stored");
            let stored = serde_json::to_string(&client).expect("json");
            assert!(
                !stored.contains('<') && !stored.contains("script"),
                "{field}: {stored}"
            );
        } else {
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["error_code"], "ct104", "{field}");
        }
    }
}

async fn text_plain_is_415(app: TestApp) {
    let response = app.post_raw(Some("text/plain"), "web_key=x&name=Ann").await;
    assert_ct104_json(response, 415).await;
}

on_both_stores!(
    malformed_urlencoding_is_ct104,
    invalid_utf8_is_ct104,
    a_one_megabyte_body_is_413,
    ten_thousand_distinct_fields_are_ct104_naming_expansion,
    ten_thousand_repeats_of_one_field_are_accepted,
    a_javascript_on_success_url_is_refused_and_never_echoed,
    cr_lf_inside_on_error_url_is_json_ct104,
    sql_metacharacters_are_stored_verbatim,
    html_in_every_field_is_stripped_or_refused,
    text_plain_is_415,
);

async fn assert_ct105(app: &TestApp, web_key: &str) {
    let response = app
        .post_form(&[("web_key", web_key), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct105");
    let response = app
        .post_form(&[
            ("web_key", web_key),
            ("name", "Ann"),
            ("OnErrorURL", "http://localhost/oops"),
        ])
        .await;
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .contains("error_Code=ct105")
    );
}

#[tokio::test]
async fn sqlite_busy_past_its_timeout_is_ct105_not_500() {
    use sqlx::Connection;
    let app = spawn_app_with(Backend::Sqlite, |s| s.database.sqlite_busy_timeout_ms = 50)
        .await
        .expect("app");
    let account = app.account().await;
    // Another process holds the write lock.
    let path = app
        .settings
        .database
        .url
        .trim_start_matches("sqlite://")
        .to_string();
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .expect("opens");
    sqlx::raw_sql("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .expect("locks");
    assert_ct105(&app, &account.web_key).await;
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("unlocks");
    let response = app
        .post_form(&[("web_key", &account.web_key), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 200, "recovers once the lock is gone");
}

#[tokio::test]
async fn postgres_failure_is_ct105_not_500() {
    let Some(app) = crate::helpers::spawn_app(Backend::Postgres).await else {
        return;
    };
    let account = app.account().await;
    // Break this test's own schema under the running service: every insert of a client fails.
    app.exec("ALTER TABLE clients RENAME TO clients_away").await;
    assert_ct105(&app, &account.web_key).await;
    app.exec("ALTER TABLE clients_away RENAME TO clients").await;
    let response = app
        .post_form(&[("web_key", &account.web_key), ("name", "Ann")])
        .await;
    assert_eq!(response.status(), 200, "recovers once the table is back");
}
