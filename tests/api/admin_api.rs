//! The admin API's gate and its set-up routes: accounts and lead sources,
//! their keys, their checks. On SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, json_of, on_both_stores, spawn_app_with};

/// Create an account over the API; its JSON.
pub async fn create_account(app: &TestApp, body: Value) -> Value {
    let (status, account) = app.admin_post("/admin/v1/accounts", body).await;
    assert_eq!(status, 201, "{account}");
    account
}

fn field_names(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn without_a_configured_token_every_admin_route_is_403_saying_how_to_enable_it(app: TestApp) {
    let backend = app.backend;
    let off = spawn_app_with(backend, |s| s.admin.token.clear())
        .await
        .expect("second app");
    for path in ["/admin/v1/accounts", "/admin/v1/submissions"] {
        let response = off
            .http
            .get(format!("{}{path}", off.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        let (status, body) = json_of(response).await;
        assert_eq!(status, 403);
        let message = body["error"].as_str().expect("error message");
        assert!(message.contains("LEADPOST_ADMIN_TOKEN"), "{message}");
    }
}

async fn a_missing_or_wrong_token_is_401(app: TestApp) {
    let url = format!("{}/admin/v1/accounts", app.address);
    let missing = app.http.get(&url).send().await.expect("sent");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let wrong = app
        .http
        .get(&url)
        .bearer_auth("test-admin-token-012345678")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    let basic = app
        .http
        .get(&url)
        .header("authorization", format!("Basic {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(basic.status(), 401);
    let (status, _) = app.admin_get("/admin/v1/accounts").await;
    assert_eq!(status, 200);
}

async fn the_admin_api_sends_no_cors_headers(app: TestApp) {
    let response = app
        .http
        .request(
            Method::OPTIONS,
            format!("{}/admin/v1/accounts", app.address),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let response = app
        .admin(Method::GET, "/admin/v1/accounts")
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn an_account_is_created_read_back_and_its_key_takes_leads(app: TestApp) {
    let account = create_account(
        &app,
        json!({"name": " Acme Roofing ", "owner_email": "owner@example.com", "owner_phone": "8015550000"}),
    )
    .await;
    assert_eq!(account["name"], "Acme Roofing");
    assert_eq!(account["owner_phone"], "8015550000");
    let key = account["web_key"].as_str().expect("web_key");
    assert!(key.len() >= 22);
    let id = account["id"].as_str().expect("id");
    let (status, read) = app.admin_get(&format!("/admin/v1/accounts/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read, account);
    let response = app
        .post_form(&[("web_key", key), ("name", "Ann Lee")])
        .await;
    assert_eq!(response.status(), 200);
}

async fn an_account_keeps_a_given_web_key_and_a_taken_one_is_409(app: TestApp) {
    let account = create_account(&app, json!({"name": "A", "web_key": "CT_KEEP"})).await;
    assert_eq!(account["web_key"], "CT_KEEP");
    let (status, body) = app
        .admin_post(
            "/admin/v1/accounts",
            json!({"name": "B", "web_key": "CT_KEEP"}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(field_names(&body), ["web_key"]);
}

async fn an_invalid_account_body_is_422_naming_every_field(app: TestApp) {
    let (status, body) = app
        .admin_post(
            "/admin/v1/accounts",
            json!({"name": "  ", "owner_email": "not-an-email", "owner_phone": "801-555", "web_key": "two words"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_names(&body),
        ["name", "owner_email", "owner_phone", "web_key"]
    );
    assert!(body["error"].as_str().expect("error").contains("name"));
}

async fn a_malformed_body_is_422_naming_the_field(app: TestApp) {
    let (status, body) = app.admin_post("/admin/v1/accounts", json!({})).await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["name".to_string()])
    );
    let (status, body) = app
        .admin_post("/admin/v1/accounts", json!({"name": 5}))
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["name".to_string()])
    );
    let (status, body) = app
        .admin_post("/admin/v1/accounts", json!({"name": "A", "nmae": "typo"}))
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["nmae".to_string()])
    );
    let response = app
        .admin(Method::POST, "/admin/v1/accounts")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 422);
    let response = app
        .admin(Method::POST, "/admin/v1/accounts")
        .header("content-type", "text/plain")
        .body("name=A")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 415);
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(100 * 1024));
    let response = app
        .admin(Method::POST, "/admin/v1/accounts")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 413);
}

async fn an_unknown_or_malformed_account_id_is_404(app: TestApp) {
    for id in ["0193a4b2-0000-7000-8000-000000000000", "not-an-id"] {
        let (status, body) = app.admin_get(&format!("/admin/v1/accounts/{id}")).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "no such account");
    }
}

async fn patch_changes_only_the_fields_given_and_null_clears(app: TestApp) {
    let account = create_account(
        &app,
        json!({"name": "A", "owner_email": "o@example.com", "owner_phone": "8015550000"}),
    )
    .await;
    let path = format!("/admin/v1/accounts/{}", account["id"].as_str().expect("id"));
    let (status, changed) = app
        .admin_send(
            Method::PATCH,
            &path,
            json!({"owner_email": "new@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["owner_email"], "new@example.com");
    assert_eq!(changed["owner_phone"], "8015550000");
    let (_, cleared) = app
        .admin_send(Method::PATCH, &path, json!({"owner_phone": null}))
        .await;
    assert_eq!(cleared["owner_phone"], Value::Null);
    assert_eq!(cleared["owner_email"], "new@example.com");
    let (status, body) = app
        .admin_send(Method::PATCH, &path, json!({"owner_phone": "12"}))
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["owner_phone".to_string()])
    );
}

async fn the_default_plan_must_be_one_of_the_accounts_own(app: TestApp) {
    let mine = app.account().await;
    let other = app.account().await;
    let webhook = app
        .store
        .create_webhook(
            other.id,
            &leadpost::store::NewWebhook {
                name: "w".into(),
                url: "http://127.0.0.1:9/".into(),
                method: "POST".into(),
                headers: json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    let plan = app
        .store
        .create_action_plan(
            other.id,
            &leadpost::store::NewActionPlan {
                name: "p".into(),
                steps: vec![leadpost::store::PlanStep {
                    webhook_id: webhook.id,
                    delay_seconds: 0,
                }],
            },
        )
        .await
        .expect("plan");
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &format!("/admin/v1/accounts/{}", mine.id),
            json!({"default_action_plan_id": plan.id}),
        )
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["default_action_plan_id".to_string()])
    );
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &format!("/admin/v1/accounts/{}", other.id),
            json!({"default_action_plan_id": plan.id}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["default_action_plan_id"], plan.id.to_string());
}

async fn rotating_without_grace_retires_the_old_key_at_once(app: TestApp) {
    let account = create_account(&app, json!({"name": "A", "web_key": "OLD_KEY"})).await;
    let id = account["id"].as_str().expect("id");
    let (status, rotated) = app
        .admin_post(&format!("/admin/v1/accounts/{id}/rotate-key"), json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["previous_web_key"], "OLD_KEY");
    let new_key = rotated["web_key"].as_str().expect("new key");
    let old = app
        .post_form(&[("web_key", "OLD_KEY"), ("name", "Ann")])
        .await;
    assert_eq!(old.status(), 401, "ct101 for the retired key");
    let new = app
        .post_form(&[("web_key", new_key), ("name", "Ann")])
        .await;
    assert_eq!(new.status(), 200);
    let (_, read) = app.admin_get(&format!("/admin/v1/accounts/{id}")).await;
    assert_eq!(read["web_key"], new_key);
}

async fn rotating_with_grace_keeps_the_old_key_working(app: TestApp) {
    let account = create_account(&app, json!({"name": "A", "web_key": "OLD_KEY"})).await;
    let id = account["id"].as_str().expect("id");
    // An empty body is allowed too; here the grace is given.
    let (status, rotated) = app
        .admin_post(
            &format!("/admin/v1/accounts/{id}/rotate-key"),
            json!({"grace_seconds": 3600}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(rotated["previous_expires_at"].is_string());
    let new_key = rotated["web_key"].as_str().expect("new key");
    for key in ["OLD_KEY", new_key] {
        let response = app
            .post_form(&[("web_key", key), ("name", "Ann Lee")])
            .await;
        assert_eq!(response.status(), 200, "{key} works");
    }
    let (status, body) = app
        .admin_post(
            &format!("/admin/v1/accounts/{id}/rotate-key"),
            json!({"grace_seconds": -5}),
        )
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["grace_seconds".to_string()])
    );
}

async fn a_rotate_with_an_empty_body_uses_no_grace(app: TestApp) {
    let account = create_account(&app, json!({"name": "A"})).await;
    let id = account["id"].as_str().expect("id");
    let response = app
        .admin(Method::POST, &format!("/admin/v1/accounts/{id}/rotate-key"))
        .send()
        .await
        .expect("sent");
    let (status, rotated) = json_of(response).await;
    assert_eq!(status, 200, "{rotated}");
    assert_ne!(rotated["web_key"], account["web_key"]);
}

async fn lead_sources_are_created_listed_read_and_rotated(app: TestApp) {
    let account = create_account(&app, json!({"name": "A"})).await;
    let id = account["id"].as_str().expect("id");
    let base = format!("/admin/v1/accounts/{id}/lead-sources");
    let (status, source) = app
        .admin_post(&base, json!({"name": "Website", "web_key": "SRC_KEY"}))
        .await;
    assert_eq!(status, 201, "{source}");
    assert_eq!(source["web_key"], "SRC_KEY");
    assert_eq!(source["action_plan_id"], Value::Null);
    let sid = source["id"].as_str().expect("id");
    let (status, listed) = app.admin_get(&base).await;
    assert_eq!(status, 200);
    assert_eq!(listed["lead_sources"], json!([source.clone()]));
    assert!(listed.get("next").is_none());
    let (status, read) = app.admin_get(&format!("{base}/{sid}")).await;
    assert_eq!((status, &read), (200, &source));
    let (status, rotated) = app
        .admin_post(
            &format!("{base}/{sid}/rotate-key"),
            json!({"grace_seconds": 0}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(rotated["previous_web_key"], "SRC_KEY");
    let old = app
        .post_form(&[("web_key", "SRC_KEY"), ("name", "Ann")])
        .await;
    assert_eq!(old.status(), 401);
    let new_key = rotated["web_key"].as_str().expect("key");
    let new = app
        .post_form(&[("web_key", new_key), ("name", "Ann")])
        .await;
    assert_eq!(new.status(), 200);
    let (_, read) = app.admin_get(&format!("{base}/{sid}")).await;
    assert_eq!(read["web_key"], new_key);
}

async fn an_invalid_lead_source_is_422(app: TestApp) {
    let account = create_account(&app, json!({"name": "A"})).await;
    let id = account["id"].as_str().expect("id");
    let base = format!("/admin/v1/accounts/{id}/lead-sources");
    let (status, body) = app
        .admin_post(
            &base,
            json!({"name": "", "action_plan_id": "0193a4b2-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["name".to_string()])
    );
    let (status, body) = app
        .admin_post(
            &base,
            json!({"name": "W", "action_plan_id": "0193a4b2-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["action_plan_id".to_string()])
    );
    let (status, body) = app
        .admin_post(&base, json!({"name": "W", "action_plan_id": "nope"}))
        .await;
    assert_eq!(
        (status, field_names(&body)),
        (422, vec!["action_plan_id".to_string()])
    );
}

async fn another_accounts_lead_source_is_404(app: TestApp) {
    let mine = create_account(&app, json!({"name": "Mine"})).await;
    let theirs = create_account(&app, json!({"name": "Theirs"})).await;
    let (mine, theirs) = (
        mine["id"].as_str().expect("id"),
        theirs["id"].as_str().expect("id"),
    );
    let (_, source) = app
        .admin_post(
            &format!("/admin/v1/accounts/{theirs}/lead-sources"),
            json!({"name": "Theirs"}),
        )
        .await;
    let sid = source["id"].as_str().expect("id");
    let (status, _) = app
        .admin_get(&format!("/admin/v1/accounts/{mine}/lead-sources/{sid}"))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .admin_post(
            &format!("/admin/v1/accounts/{mine}/lead-sources/{sid}/rotate-key"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, listed) = app
        .admin_get(&format!("/admin/v1/accounts/{mine}/lead-sources"))
        .await;
    assert_eq!(listed["lead_sources"], json!([]));
    let (_, read) = app
        .admin_get(&format!("/admin/v1/accounts/{theirs}/lead-sources/{sid}"))
        .await;
    assert_eq!(read["web_key"], source["web_key"], "the key did not change");
}

/// Walk every page of `path` (which lists under `key`); the ids in order.
pub async fn walk_pages(app: &TestApp, path: &str, key: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    for _ in 0..100 {
        let url = match &after {
            Some(cursor) => format!("{path}{sep}limit={limit}&after={cursor}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (status, page) = app.admin_get(&url).await;
        assert_eq!(status, 200, "{page}");
        let rows = page[key].as_array().expect("a list");
        assert!(rows.len() <= limit);
        ids.extend(
            rows.iter()
                .map(|r| r["id"].as_str().expect("id").to_string()),
        );
        match page.get("next").and_then(Value::as_str) {
            Some(next) => {
                assert_eq!(rows.len(), limit, "only full pages have a next");
                after = Some(next.to_string());
            }
            None => return ids,
        }
    }
    panic!("pagination did not end");
}

async fn accounts_and_lead_sources_page_newest_first_without_gaps_or_repeats(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..7 {
        let a = create_account(&app, json!({"name": format!("A{i}")})).await;
        created.push(a["id"].as_str().expect("id").to_string());
    }
    created.reverse();
    assert_eq!(
        walk_pages(&app, "/admin/v1/accounts", "accounts", 3).await,
        created
    );
    assert_eq!(
        walk_pages(&app, "/admin/v1/accounts", "accounts", 7).await,
        created
    );
    let account = &created[0];
    let mut sources = Vec::new();
    for i in 0..5 {
        let (_, s) = app
            .admin_post(
                &format!("/admin/v1/accounts/{account}/lead-sources"),
                json!({"name": format!("S{i}")}),
            )
            .await;
        sources.push(s["id"].as_str().expect("id").to_string());
    }
    sources.reverse();
    let path = format!("/admin/v1/accounts/{account}/lead-sources");
    assert_eq!(walk_pages(&app, &path, "lead_sources", 2).await, sources);
}

async fn bad_paging_parameters_are_422(app: TestApp) {
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=x", "limit"),
        ("after=zzz", "after"),
    ] {
        let (status, body) = app.admin_get(&format!("/admin/v1/accounts?{query}")).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(field_names(&body), [field]);
    }
}

on_both_stores!(
    without_a_configured_token_every_admin_route_is_403_saying_how_to_enable_it,
    a_missing_or_wrong_token_is_401,
    the_admin_api_sends_no_cors_headers,
    an_account_is_created_read_back_and_its_key_takes_leads,
    an_account_keeps_a_given_web_key_and_a_taken_one_is_409,
    an_invalid_account_body_is_422_naming_every_field,
    a_malformed_body_is_422_naming_the_field,
    an_unknown_or_malformed_account_id_is_404,
    patch_changes_only_the_fields_given_and_null_clears,
    the_default_plan_must_be_one_of_the_accounts_own,
    rotating_without_grace_retires_the_old_key_at_once,
    rotating_with_grace_keeps_the_old_key_working,
    a_rotate_with_an_empty_body_uses_no_grace,
    lead_sources_are_created_listed_read_and_rotated,
    an_invalid_lead_source_is_422,
    another_accounts_lead_source_is_404,
    accounts_and_lead_sources_page_newest_first_without_gaps_or_repeats,
    bad_paging_parameters_are_422,
);
