//! The pages over HTTP (no browser): when `/` is shown and what it points at,
//! the hosted `/thanks` and `/oops` pages, hosted thank-you page redirects and
//! content negotiation, CORS only on the intake endpoint, and demo set-up.

use std::sync::Arc;

use leadpost::demo::{self, DEMO_LEAD_SOURCE_KEY, DEMO_WEB_KEY};
use leadpost::store::{Store, StoreError, new_id};
use serde_json::Value;

use crate::helpers::{Backend, INTAKE, TestApp, on_both_stores, spawn_app_with};

/// What a browser sends when it navigates (a form post included).
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,\
                              image/avif,image/webp,*/*;q=0.8";

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .expect("request sent")
}

async fn post_as_browser(app: &TestApp, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(format!("{}{INTAKE}", app.address))
        .header("accept", BROWSER_ACCEPT)
        .form(pairs)
        .send()
        .await
        .expect("request sent")
}

async fn sqlite_app(change: impl FnOnce(&mut leadpost::config::Settings)) -> TestApp {
    spawn_app_with(Backend::Sqlite, change)
        .await
        .expect("sqlite app")
}

#[tokio::test]
async fn home_is_hidden_when_demo_mode_is_off() {
    let app = sqlite_app(|_| {}).await;
    assert_eq!(get(&app, "/").await.status(), 404);
    // The hosted pages are always there.
    assert_eq!(get(&app, "/thanks").await.status(), 200);
    assert_eq!(get(&app, "/oops").await.status(), 200);
}

#[tokio::test]
async fn show_home_serves_the_page_with_a_placeholder_key() {
    let app = sqlite_app(|s| s.pages.show_home = true).await;
    let response = get(&app, "/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains("YOUR_WEB_KEY"));
    assert!(!html.contains(DEMO_WEB_KEY));
}

#[tokio::test]
async fn the_demo_page_points_its_examples_at_the_service_and_the_demo_lead_source() {
    let app = sqlite_app(|s| s.demo.enabled = true).await;
    let response = get(&app, "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.expect("body");
    let endpoint = format!("{}{INTAKE}", app.address);
    // Live embed, simple and async forms, plus the three examples' code.
    assert_eq!(html.matches(&format!("action=\"{endpoint}\"")).count(), 3);
    assert_eq!(
        html.matches(&format!("action=&quot;{endpoint}&quot;"))
            .count(),
        3
    );
    assert!(html.contains(&format!("value=\"{}/thanks\"", app.address)));
    assert!(html.contains(&format!("value=\"{}/oops\"", app.address)));
    assert_eq!(
        html.matches(&format!("value=\"{DEMO_LEAD_SOURCE_KEY}\""))
            .count(),
        3,
        "the live forms post to the demo lead source"
    );
    assert!(!html.contains(&format!("value=\"{DEMO_WEB_KEY}\"")));
    assert!(
        html.contains(&format!("web_key={DEMO_LEAD_SOURCE_KEY}")),
        "the curl command"
    );
    assert!(
        html.contains(&format!("<code>{DEMO_WEB_KEY}</code>")),
        "the account's key is named too"
    );
}

#[tokio::test]
async fn the_home_page_leads_with_the_form_to_copy_and_its_preview() {
    let app = sqlite_app(|s| s.demo.enabled = true).await;
    let html = get(&app, "/").await.text().await.expect("body");
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("the page has {needle}"))
    };
    assert!(at("<h1>Copy your form</h1>") < at("id=\"embed-preview\""));
    assert!(at("id=\"embed-preview\"") < at("id=\"embed-code\""));
    assert!(at("id=\"embed-code\"") < at("id=\"simple-form\""));
    assert!(at("id=\"simple-form\"") < at("<h2>The protocol</h2>"));
    assert!(at("<h2>The protocol</h2>") < at("<table id=\"codes\""));
}

#[tokio::test]
async fn every_public_page_has_a_language_a_title_and_one_main_heading() {
    let app = sqlite_app(|s| s.demo.enabled = true).await;
    for path in [
        "/",
        "/thanks",
        "/oops?error_Code=ct104&msg=Bad",
        "/oops?error_Code=ct103",
    ] {
        let html = get(&app, path).await.text().await.expect("body");
        assert!(html.contains("<html lang=\"en\">"), "{path}");
        let title = html
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(title, _)| title.trim());
        assert!(title.is_some_and(|t| !t.is_empty()), "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path}");
    }
}

#[tokio::test]
async fn the_pages_load_nothing_from_elsewhere() {
    let app = sqlite_app(|s| s.demo.enabled = true).await;
    for path in ["/", "/thanks", "/oops"] {
        let response = get(&app, path).await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.starts_with("default-src 'none';"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let html = response.text().await.expect("body");
        for external in ["<link", "src=\"http", "src=\"//", "@import", "url("] {
            assert!(
                !html.contains(external),
                "{path}: no external asset: {external}"
            );
        }
    }
}

#[tokio::test]
async fn a_returning_customer_is_thanked_not_told_of_an_error() {
    let app = sqlite_app(|_| {}).await;
    let html = get(&app, "/oops?error_Code=ct103&msg=Duplicate+Client")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("<title>Thank you, we already have your details</title>"));
    assert!(
        html.contains("<h1 class=\"ok\" id=\"oops\">Thank you, we already have your details</h1>")
    );
    assert!(!html.contains("not sent"));
    assert!(!html.contains("Duplicate Client"));
}

#[tokio::test]
async fn a_public_url_is_what_the_demo_page_points_at() {
    let app = sqlite_app(|s| {
        s.demo.enabled = true;
        s.server.public_url = "https://leads.example.com".into();
    })
    .await;
    let html = get(&app, "/").await.text().await.expect("body");
    assert!(html.contains(&format!("action=\"https://leads.example.com{INTAKE}\"")));
    assert!(!html.contains(&app.address));
}

#[tokio::test]
async fn the_error_page_shows_code_and_message_escaped() {
    let app = sqlite_app(|_| {}).await;
    let response = get(
        &app,
        "/oops?error_Code=ct104&msg=%3Cscript%3Ealert(1)%3C%2Fscript%3E+bad+%22phone%22",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let html = response.text().await.expect("body");
    assert!(html.contains("<dd id=\"error-code\">ct104</dd>"));
    assert!(html.contains("Invalid request or field value"));
    assert!(!html.contains("alert(1)"));
}

#[tokio::test]
async fn the_error_page_shows_only_the_codes_own_message() {
    let app = sqlite_app(|_| {}).await;
    for query in [
        "error_Code=ct101&msg=Call+us+now+at+1-800-SCAM",
        "error_Code=nope&msg=Call+us+now+at+1-800-SCAM",
        "msg=Call+us+now+at+1-800-SCAM",
    ] {
        let html = get(&app, &format!("/oops?{query}"))
            .await
            .text()
            .await
            .expect("body");
        assert!(!html.contains("SCAM"), "{query}");
    }
    let html = get(&app, "/oops?error_Code=ct101&msg=x")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Invalid Web_Key"));
}

#[tokio::test]
async fn the_thanks_page_thanks() {
    let app = sqlite_app(|_| {}).await;
    let html = get(&app, "/thanks").await.text().await.expect("body");
    assert!(html.contains("Thank you!"));
}

#[tokio::test]
async fn the_intake_answers_a_preflight_from_any_origin() {
    let app = sqlite_app(|_| {}).await;
    let response = app
        .http
        .request(reqwest::Method::OPTIONS, format!("{}{INTAKE}", app.address))
        .header("origin", "http://site.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii");
    assert!(methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn pages_and_the_admin_api_are_not_cors_enabled() {
    let app = sqlite_app(|s| s.demo.enabled = true).await;
    for path in ["/", "/thanks", "/admin/v1/accounts"] {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", "http://site.example")
            .header("access-control-request-method", "POST")
            .send()
            .await
            .expect("sent");
        assert!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{path}"
        );
        let read = app
            .http
            .get(format!("{}{path}", app.address))
            .header("origin", "http://site.example")
            .send()
            .await
            .expect("sent");
        assert!(
            read.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }
}

async fn hosted_account(app: &TestApp) -> leadpost::store::Account {
    let account = app.account().await;
    app.store
        .set_hosted_pages(account.id, true)
        .await
        .expect("hosted pages on");
    account
}

async fn a_browser_post_to_a_hosted_account_goes_to_the_thanks_page(app: TestApp) {
    let account = hosted_account(&app).await;
    let response =
        post_as_browser(&app, &[("web_key", &account.web_key), ("name", "Ann Lee")]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/thanks?a={}", account.id).as_str()
    );
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_refused_browser_post_to_a_hosted_account_goes_to_the_error_page(app: TestApp) {
    let account = hosted_account(&app).await;
    let response = post_as_browser(&app, &[("web_key", &account.web_key), ("phone", "1")]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!(
            "/oops?a={}&error_Code=ct102&msg=Name+Not+Received",
            account.id
        )
        .as_str()
    );
}

async fn hosted_pages_never_override_the_forms_own_urls(app: TestApp) {
    let account = hosted_account(&app).await;
    let response = post_as_browser(
        &app,
        &[
            ("web_key", &account.web_key),
            ("name", "Ann Lee"),
            ("OnSuccessURL", "https://site.example/thanks"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "https://site.example/thanks"
    );
}

async fn fetch_and_curl_get_json_even_from_a_hosted_account(app: TestApp) {
    let account = hosted_account(&app).await;
    for accept in [None, Some("*/*"), Some("application/json")] {
        let mut request = app
            .http
            .post(format!("{}{INTAKE}", app.address))
            .form(&[("web_key", account.web_key.as_str()), ("name", "Ann Lee")]);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 200, "{accept:?}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"Message": "Success"}));
    }
}

async fn a_browser_post_without_hosted_pages_is_answered_with_json(app: TestApp) {
    let account = app.account().await;
    let response = post_as_browser(&app, &[("web_key", &account.web_key)]).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct102");
}

async fn an_unknown_key_from_a_browser_is_json_ct101(app: TestApp) {
    hosted_account(&app).await;
    let response = post_as_browser(&app, &[("web_key", "nope"), ("name", "Ann Lee")]).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct101");
}

async fn hosted_pages_can_be_turned_on_and_off(app: TestApp) {
    let account = app.account().await;
    assert!(!app.store.get_hosted_pages(account.id).await.expect("read"));
    let owner = app
        .store
        .find_key_owner(&account.web_key)
        .await
        .expect("resolves")
        .expect("known");
    assert!(!owner.hosted_pages);
    app.store
        .set_hosted_pages(account.id, true)
        .await
        .expect("on");
    assert!(app.store.get_hosted_pages(account.id).await.expect("read"));
    let owner = app
        .store
        .find_key_owner(&account.web_key)
        .await
        .expect("resolves")
        .expect("known");
    assert!(owner.hosted_pages);
    app.store
        .set_hosted_pages(account.id, false)
        .await
        .expect("off");
    assert!(!app.store.get_hosted_pages(account.id).await.expect("read"));
    assert!(matches!(
        app.store.set_hosted_pages(new_id(), true).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        app.store.get_hosted_pages(new_id()).await,
        Err(StoreError::NotFound)
    ));
}

async fn the_demo_is_created_once_and_found_again(app: TestApp) {
    let store: Arc<dyn Store> = app.store.clone();
    let first = demo::ensure(&store).await.expect("demo created");
    assert!(first.created);
    let again = demo::ensure(&store).await.expect("demo found");
    assert!(!again.created);
    assert_eq!(
        (first.account_id, first.lead_source_id),
        (again.account_id, again.lead_source_id)
    );
    let account = store.get_account(first.account_id).await.expect("account");
    assert_eq!(account.name, "Demo");
    assert_eq!(account.web_key, DEMO_WEB_KEY);
    assert!(
        store
            .get_hosted_pages(first.account_id)
            .await
            .expect("read")
    );
    let source = store
        .find_key_owner(DEMO_LEAD_SOURCE_KEY)
        .await
        .expect("resolves")
        .expect("known");
    assert_eq!(source.account_id, first.account_id);
    let source = source.lead_source.expect("a lead source key");
    assert_eq!(
        (source.id, source.name.as_str()),
        (first.lead_source_id, "Demo website")
    );
}

async fn the_demo_keys_of_another_account_are_not_taken_over(app: TestApp) {
    app.store
        .create_account(&leadpost::store::NewAccount {
            name: "Someone".into(),
            web_key: Some(DEMO_LEAD_SOURCE_KEY.into()),
            ..Default::default()
        })
        .await
        .expect("created");
    let store: Arc<dyn Store> = app.store.clone();
    let err = demo::ensure(&store).await.expect_err("refused");
    assert!(err.to_string().contains(DEMO_LEAD_SOURCE_KEY), "{err}");
}

on_both_stores!(
    a_browser_post_to_a_hosted_account_goes_to_the_thanks_page,
    a_refused_browser_post_to_a_hosted_account_goes_to_the_error_page,
    hosted_pages_never_override_the_forms_own_urls,
    fetch_and_curl_get_json_even_from_a_hosted_account,
    a_browser_post_without_hosted_pages_is_answered_with_json,
    an_unknown_key_from_a_browser_is_json_ct101,
    hosted_pages_can_be_turned_on_and_off,
    the_demo_is_created_once_and_found_again,
    the_demo_keys_of_another_account_are_not_taken_over,
);
