//! Hearing back (DESIGN.md §12, §15): an account's settings through `PATCH /admin/v1/accounts/{id}`
//! and their effect — lenient phones, the new-lead notification default, and hosted pages that
//! name the account (`?a=`), link back to its website and may be framed by its allowed origins.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, on_both_stores};

/// `PATCH /admin/v1/accounts/{id}` with `body`.
async fn patch_account(app: &TestApp, id: uuid::Uuid, body: Value) -> (u16, Value) {
    app.admin_send(Method::PATCH, &format!("/admin/v1/accounts/{id}"), body)
        .await
}

/// An account with `settings` applied through the admin API.
async fn account_with(app: &TestApp, settings: Value) -> leadpost::store::Account {
    let account = app.account().await;
    let (status, body) = patch_account(app, account.id, settings).await;
    assert_eq!(status, 200, "{body}");
    account
}

fn field_names(body: &Value) -> Vec<&str> {
    body["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|p| p["field"].as_str()).collect())
        .unwrap_or_default()
}

/// The kinds of the account's jobs, sorted.
async fn job_kinds(app: &TestApp, account: &leadpost::store::Account) -> Vec<String> {
    let jobs = app
        .store
        .list_jobs(account.id, leadpost::store::Page::first(100))
        .await
        .expect("jobs");
    let mut kinds: Vec<String> = jobs.iter().map(|j| j.kind.to_string()).collect();
    kinds.sort_unstable();
    kinds
}

async fn post_as_browser(app: &TestApp, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(format!(
            "{}/v1/external-api/external-form-lead",
            app.address
        ))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .form(pairs)
        .send()
        .await
        .expect("posted")
}

async fn account_settings_are_changed_and_read_back(app: TestApp) {
    let account = app.account().await;
    let (status, patched) = patch_account(
        &app,
        account.id,
        json!({
            "display_name": "Acme Roofing & Sons",
            "website_url": "https://acme.example/",
            "lenient_phones": true,
            "new_lead_notification_default": 2,
            "hosted_pages": true,
        }),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let (status, read) = app
        .admin_get(&format!("/admin/v1/accounts/{}", account.id))
        .await;
    assert_eq!(status, 200);
    for body in [&patched, &read] {
        assert_eq!(body["display_name"], "Acme Roofing & Sons");
        assert_eq!(body["website_url"], "https://acme.example/");
        assert_eq!(body["lenient_phones"], true);
        assert_eq!(body["new_lead_notification_default"], 2);
        assert_eq!(body["hosted_pages"], true);
    }
}

async fn a_new_account_has_the_part_one_defaults(app: TestApp) {
    let account = app.account().await;
    let (_, read) = app
        .admin_get(&format!("/admin/v1/accounts/{}", account.id))
        .await;
    assert_eq!(read["display_name"], Value::Null);
    assert_eq!(read["website_url"], Value::Null);
    assert_eq!(read["lenient_phones"], false);
    assert_eq!(read["new_lead_notification_default"], 0);
    assert_eq!(read["hosted_pages"], false);
}

async fn null_clears_the_display_name_and_website(app: TestApp) {
    let account = account_with(
        &app,
        json!({"display_name": "Acme", "website_url": "http://acme.example"}),
    )
    .await;
    let (status, body) = patch_account(
        &app,
        account.id,
        json!({"display_name": null, "website_url": null}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], Value::Null);
    assert_eq!(body["website_url"], Value::Null);
}

async fn bad_settings_are_422_naming_each_field(app: TestApp) {
    let account = app.account().await;
    let (status, body) = patch_account(
        &app,
        account.id,
        json!({
            "display_name": "x".repeat(256),
            "website_url": "javascript:alert(1)",
            "new_lead_notification_default": 3,
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        field_names(&body),
        [
            "display_name",
            "website_url",
            "new_lead_notification_default"
        ]
    );
    let (status, body) = patch_account(&app, account.id, json!({"lenient_phones": "yes"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(field_names(&body), ["lenient_phones"]);
}

async fn formatted_phones_are_ct104_while_lenient_phones_are_off(app: TestApp) {
    let account = app.account().await;
    let (status, body) = json_of(
        app.post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann Lee"),
            ("phone", "(801) 555-0102"),
        ])
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "ct104");
}

async fn lenient_phones_store_the_ten_digits(app: TestApp) {
    let account = account_with(&app, json!({"lenient_phones": true})).await;
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann Lee"),
            ("phone", "+1 (801) 555-0102"),
            ("second_phone", "1.801.555.0103"),
        ])
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.phone(), Some("8015550102"));
    assert_eq!(client.fields.second_phone(), Some("8015550103"));
}

async fn a_plus_one_with_nine_digits_stays_ct104_with_lenient_phones(app: TestApp) {
    let account = account_with(&app, json!({"lenient_phones": true})).await;
    let (status, body) = json_of(
        app.post_form(&[
            ("web_key", &account.web_key),
            ("name", "Ann Lee"),
            ("phone", "+1 801 555 123"),
        ])
        .await,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error_code"], "ct104");
    assert_eq!(field_names(&body), ["phone"]);
}

async fn the_notification_default_applies_when_a_post_sends_none(app: TestApp) {
    let account = account_with(&app, json!({"new_lead_notification_default": 1})).await;
    let response = app
        .post_form(&[("web_key", &account.web_key), ("name", "Ann Lee")])
        .await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("a client");
    let (_, read) = app
        .admin_get(&format!("/admin/v1/clients/{}", client.id))
        .await;
    assert_eq!(read["new_lead_notification"], 1, "{read}");
    let (_, notes) = app
        .admin_get(&format!("/admin/v1/accounts/{}/notifications", account.id))
        .await;
    assert_eq!(notes["notifications"].as_array().map(Vec::len), Some(1));
    assert_eq!(notes["notifications"][0]["kind"], "new_lead");
}

async fn a_posted_notification_level_wins_over_the_default(app: TestApp) {
    let account = account_with(&app, json!({"new_lead_notification_default": 2})).await;
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann Lee"),
        ("new_lead_notification", "0"),
    ])
    .await;
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.new_lead_notification().level(), 0);
    let (_, notes) = app
        .admin_get(&format!("/admin/v1/accounts/{}/notifications", account.id))
        .await;
    assert_eq!(notes["notifications"], json!([]));
    assert!(job_kinds(&app, &account).await.is_empty());
}

async fn a_default_of_two_queues_the_owner_email_and_text(app: TestApp) {
    let account = account_with(&app, json!({"new_lead_notification_default": 2})).await;
    app.post_form(&[("web_key", &account.web_key), ("name", "Ann Lee")])
        .await;
    assert_eq!(job_kinds(&app, &account).await, ["email", "sms"]);
}

async fn hosted_redirects_carry_the_account(app: TestApp) {
    let account = account_with(&app, json!({"hosted_pages": true})).await;
    let ok = post_as_browser(&app, &[("web_key", &account.web_key), ("name", "Ann Lee")]).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(
        ok.headers()["location"],
        format!("/thanks?a={}", account.id).as_str()
    );
    let refused = post_as_browser(&app, &[("web_key", &account.web_key)]).await;
    assert_eq!(
        refused.headers()["location"],
        format!(
            "/oops?a={}&error_Code=ct102&msg=Name+Not+Received",
            account.id
        )
        .as_str()
    );
}

async fn the_hosted_pages_name_the_account_escaped_and_link_its_website(app: TestApp) {
    let account = account_with(
        &app,
        json!({"display_name": "<b>Acme</b> & \"Sons\"", "website_url": "https://acme.example/"}),
    )
    .await;
    for path in [
        format!("/thanks?a={}", account.id),
        format!("/oops?a={}&error_Code=ct104&msg=x", account.id),
    ] {
        let html = app.get(&path).await.text().await.expect("page");
        assert!(
            html.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; &quot;Sons&quot;"),
            "{path}: {html}"
        );
        assert!(!html.contains("<b>Acme"), "{path}");
        assert!(
            html.contains("<a id=\"account-website\" href=\"https://acme.example/\">"),
            "{path}: {html}"
        );
    }
}

async fn a_website_that_is_not_http_is_not_linked(app: TestApp) {
    let account = account_with(&app, json!({"display_name": "Acme"})).await;
    app.exec(&format!(
        "UPDATE accounts SET website_url = 'javascript:alert(1)' WHERE id = '{}'",
        account.id
    ))
    .await;
    let html = app
        .get(&format!("/thanks?a={}", account.id))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Acme"));
    assert!(!html.contains("javascript:alert"), "{html}");
    assert!(!html.contains("account-website"), "{html}");
}

async fn an_unknown_account_gets_the_plain_page(app: TestApp) {
    let response = app
        .get(&format!("/thanks?a={}", leadpost::store::new_id()))
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("page");
    assert!(html.contains("Thank you"));
    assert!(!html.contains("account-name"));
}

fn frame_ancestors(response: &reqwest::Response) -> String {
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_string();
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .expect("a frame-ancestors directive")
        .to_string()
}

async fn hosted_pages_may_be_framed_only_by_the_accounts_allowed_origins(app: TestApp) {
    let account = app.account().await;
    let thanks = format!("/thanks?a={}", account.id);
    assert_eq!(frame_ancestors(&app.get(&thanks).await), "'none'");
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &format!("/admin/v1/accounts/{}/spam", account.id),
            json!({"allowed_origins": ["https://acme.example", "https://*.sites.example"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for path in [
        thanks.clone(),
        format!("/oops?a={}&error_Code=ct101", account.id),
    ] {
        assert_eq!(
            frame_ancestors(&app.get(&path).await),
            "https://acme.example https://*.sites.example",
            "{path}"
        );
    }
    assert_eq!(frame_ancestors(&app.get("/thanks").await), "'none'");
}

on_both_stores!(
    account_settings_are_changed_and_read_back,
    a_new_account_has_the_part_one_defaults,
    null_clears_the_display_name_and_website,
    bad_settings_are_422_naming_each_field,
    formatted_phones_are_ct104_while_lenient_phones_are_off,
    lenient_phones_store_the_ten_digits,
    a_plus_one_with_nine_digits_stays_ct104_with_lenient_phones,
    the_notification_default_applies_when_a_post_sends_none,
    a_posted_notification_level_wins_over_the_default,
    a_default_of_two_queues_the_owner_email_and_text,
    hosted_redirects_carry_the_account,
    the_hosted_pages_name_the_account_escaped_and_link_its_website,
    a_website_that_is_not_http_is_not_linked,
    an_unknown_account_gets_the_plain_page,
    hosted_pages_may_be_framed_only_by_the_accounts_allowed_origins,
);

/// A visitor's plain form post lands on the hosted page, which names the account and links back.
#[tokio::test]
async fn a_visitor_lands_on_a_hosted_page_naming_the_account() {
    use crate::browser_support::{Browser, demo_app, other_origin};
    use leadpost::demo::DEMO_WEB_KEY;

    let app = demo_app().await;
    let owner = app
        .store
        .find_key_owner(DEMO_WEB_KEY)
        .await
        .expect("resolves")
        .expect("the demo account");
    let (status, body) = patch_account(
        &app,
        owner.account_id,
        json!({"display_name": "Acme Roofing <Provo>", "website_url": "https://acme.example/"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let Some(browser) = Browser::start().await else {
        return;
    };
    let form = format!(
        "<!doctype html><form method=post action=\"{}/v1/external-api/external-form-lead\">\
         <input name=web_key value=\"{DEMO_WEB_KEY}\"><input name=name value=\"Fay Gold\">\
         <button id=send>Send</button></form>",
        app.address
    );
    let site = other_origin(form).await;
    browser.goto(&format!("{site}/")).await;
    browser.click("#send").await;
    browser.wait_for_text("#thanks", "Thank you").await;
    let shown = browser.wait_for_text("#account-name", "Acme Roofing").await;
    assert_eq!(shown, "Acme Roofing <Provo>");
    let link = browser.wait_for_text("#account-website", "Back to").await;
    assert_eq!(link, "Back to Acme Roofing <Provo>");
    assert_eq!(
        browser.url().await.as_str(),
        format!("{}/thanks?a={}", app.address, owner.account_id)
    );
    browser
        .save_screenshot("hosted-thanks-naming-the-account")
        .await;
    browser.close().await;
}

/// `leadpost account update` sets the hearing-back settings and `--json` reads them back.
#[test]
fn the_cli_changes_the_hearing_back_settings() {
    use crate::helpers::process::{run_any, run_cli, value_of};

    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("hearing.db").display());
    let created = run_cli(&db, &["account", "create", "--name", "Acme Roofing"]);
    let id = value_of(&created, "account id:");
    let shown = run_cli(
        &db,
        &[
            "--json",
            "account",
            "update",
            &id,
            "--display-name",
            "Acme",
            "--website-url",
            "https://acme.example/",
            "--lenient-phones",
            "true",
            "--new-lead-notification-default",
            "1",
        ],
    );
    let read: Value = serde_json::from_str(&shown).expect("json");
    assert_eq!(read["display_name"], "Acme");
    assert_eq!(read["website_url"], "https://acme.example/");
    assert_eq!(read["lenient_phones"], true);
    assert_eq!(read["new_lead_notification_default"], 1);
    let (ok, _, stderr) = run_any(
        &db,
        &[
            "account",
            "update",
            &id,
            "--new-lead-notification-default",
            "5",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("new-lead-notification-default must be 0, 1 or 2"),
        "{stderr}"
    );
}
