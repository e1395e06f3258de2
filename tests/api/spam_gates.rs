//! Allowed origins (refused with ct107 right after the web_key check) and CAPTCHA verification
//! (missing, failed and unverified tokens are spam) against a loopback provider.

use serde_json::{Value, json};

use crate::helpers::spam::{person, verify_request, with};
use crate::helpers::{INTAKE, TestApp, on_both_stores};

/// Post `pairs` with these headers.
async fn post_with(
    app: &TestApp,
    pairs: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app
        .http
        .post(format!("{}{INTAKE}", app.address))
        .form(pairs);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("sent")
}

async fn allow_only_example(app: &TestApp, account: &leadpost::store::Account) {
    app.set_spam(
        account,
        json!({"allowed_origins": ["https://*.example.com"]}),
    )
    .await;
}

async fn a_post_from_an_origin_not_allowed_is_ct107(app: TestApp) {
    let account = app.account().await;
    allow_only_example(&app, &account).await;
    let response = post_with(
        &app,
        &person(&account.web_key),
        &[("origin", "https://evil.test")],
    )
    .await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error_code"], "ct107");
    assert_eq!(body["msg"], "Origin not allowed");
    assert_eq!(app.client_count(&account).await, 0);
}

async fn a_refused_origin_redirects_to_on_error_url(app: TestApp) {
    let account = app.account().await;
    allow_only_example(&app, &account).await;
    let pairs = with(
        person(&account.web_key),
        &[("OnErrorURL", "http://localhost/oops")],
    );
    let response = post_with(&app, &pairs, &[("origin", "https://evil.test")]).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(
        location.starts_with("http://localhost/oops?error_Code=ct107"),
        "{location}"
    );
}

async fn a_subdomain_origin_or_its_referer_is_allowed(app: TestApp) {
    let account = app.account().await;
    allow_only_example(&app, &account).await;
    let ok = post_with(
        &app,
        &person(&account.web_key),
        &[("origin", "https://www.EXAMPLE.com")],
    )
    .await;
    assert_eq!(ok.status(), 200);
    let pairs = [("web_key", account.web_key.as_str()), ("name", "Cy Lee")];
    let by_referer = post_with(
        &app,
        &pairs,
        &[
            ("origin", "null"),
            ("referer", "https://shop.example.com/form?x=1"),
        ],
    )
    .await;
    assert_eq!(by_referer.status(), 200);
    let bare = post_with(&app, &pairs, &[("origin", "https://example.com")]).await;
    assert_eq!(bare.status(), 403, "a wildcard matches subdomains only");
}

async fn a_post_without_origin_passes_unless_one_is_required(app: TestApp) {
    let account = app.account().await;
    allow_only_example(&app, &account).await;
    assert_eq!(app.post_form(&person(&account.web_key)).await.status(), 200);
    app.set_spam(&account, json!({"require_origin": true}))
        .await;
    let pairs = [("web_key", account.web_key.as_str()), ("name", "Cy Lee")];
    assert_eq!(app.post_form(&pairs).await.status(), 403);
}

async fn a_lead_source_list_replaces_the_accounts(app: TestApp) {
    let account = app.account().await;
    allow_only_example(&app, &account).await;
    let source = app.lead_source(&account, None).await;
    let path = format!(
        "/admin/v1/accounts/{}/lead-sources/{}",
        account.id, source.id
    );
    let (status, body) = app
        .admin_send(
            reqwest::Method::PATCH,
            &path,
            json!({"allowed_origins": []}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed_origins"], json!([]));
    let evil = [("origin", "https://evil.test")];
    assert_eq!(
        post_with(&app, &person(&source.web_key), &evil)
            .await
            .status(),
        200
    );
    let (_, body) = app
        .admin_send(
            reqwest::Method::PATCH,
            &path,
            json!({"allowed_origins": null}),
        )
        .await;
    assert_eq!(body["allowed_origins"], json!(null));
    let pairs = [("web_key", source.web_key.as_str()), ("name", "Cy Lee")];
    assert_eq!(post_with(&app, &pairs, &evil).await.status(), 403);
}

/// Turn CAPTCHA on with `provider` (secret `sek`).
async fn captcha_on(app: &TestApp, account: &leadpost::store::Account, provider: &str) {
    let captcha =
        json!({"provider": provider, "secret": "sek", "site_key": "site", "min_score": 0.5});
    app.set_spam(account, json!({"captcha": captcha})).await;
}

/// Post with a token in `field`; the reasons kept (empty: accepted).
async fn post_token(
    app: &TestApp,
    account: &leadpost::store::Account,
    field: &str,
    token: &str,
) -> Vec<String> {
    let before = app
        .submissions(account, leadpost::store::Outcome::Spam)
        .await
        .len();
    let email = format!("{}@example.com", uuid::Uuid::now_v7().simple());
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", email.as_str()),
        (field, token),
    ];
    assert_eq!(app.post_form(&pairs).await.status(), 200);
    if app
        .submissions(account, leadpost::store::Outcome::Spam)
        .await
        .len()
        == before
    {
        Vec::new()
    } else {
        app.last_spam_reasons(account).await
    }
}

fn token(kind: &str) -> String {
    format!("{kind}:{}", uuid::Uuid::now_v7())
}

async fn a_passing_turnstile_token_is_verified_with_secret_response_and_remoteip(app: TestApp) {
    let account = app.account().await;
    captcha_on(&app, &account, "turnstile").await;
    let pass = token("pass");
    assert!(
        post_token(&app, &account, "cf-turnstile-response", &pass)
            .await
            .is_empty()
    );
    let (provider, form) = verify_request(&pass).expect("provider asked");
    assert_eq!(provider, "turnstile");
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    assert_eq!(field("secret").as_deref(), Some("sek"));
    assert_eq!(field("remoteip").as_deref(), Some("127.0.0.1"));
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_missing_token_is_captcha_missing(app: TestApp) {
    let account = app.account().await;
    captcha_on(&app, &account, "hcaptcha").await;
    let reasons = post_token(&app, &account, "cf-turnstile-response", "pass").await;
    assert_eq!(reasons, ["captcha_missing"]);
}

async fn a_refused_token_is_captcha_failed(app: TestApp) {
    let account = app.account().await;
    captcha_on(&app, &account, "hcaptcha").await;
    let reasons = post_token(&app, &account, "h-captcha-response", &token("fail")).await;
    assert_eq!(reasons, ["captcha_failed"]);
}

async fn a_low_recaptcha_score_fails_and_the_minimum_passes(app: TestApp) {
    let account = app.account().await;
    captcha_on(&app, &account, "recaptcha").await;
    let low = post_token(&app, &account, "g-recaptcha-response", &token("low")).await;
    assert_eq!(low, ["captcha_failed"]);
    let half = post_token(&app, &account, "g-recaptcha-response", &token("half")).await;
    assert!(half.is_empty());
}

async fn a_broken_or_garbled_provider_is_captcha_unverified(app: TestApp) {
    let account = app.account().await;
    captcha_on(&app, &account, "turnstile").await;
    let broken = post_token(&app, &account, "cf-turnstile-response", &token("broken")).await;
    assert_eq!(broken, ["captcha_unverified"]);
    let garbled = post_token(&app, &account, "cf-turnstile-response", &token("garbled")).await;
    assert_eq!(garbled, ["captcha_unverified"]);
}

on_both_stores!(
    a_post_from_an_origin_not_allowed_is_ct107,
    a_refused_origin_redirects_to_on_error_url,
    a_subdomain_origin_or_its_referer_is_allowed,
    a_post_without_origin_passes_unless_one_is_required,
    a_lead_source_list_replaces_the_accounts,
    a_passing_turnstile_token_is_verified_with_secret_response_and_remoteip,
    a_missing_token_is_captcha_missing,
    a_refused_token_is_captcha_failed,
    a_low_recaptcha_score_fails_and_the_minimum_passes,
    a_broken_or_garbled_provider_is_captcha_unverified,
);
