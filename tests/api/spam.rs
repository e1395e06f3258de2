//! Spam kept out, never lost: each rule keeps a post as spam, answered exactly like a success, with
//! nothing created; control fields never become custom fields.

use leadpost::store::Outcome;
use serde_json::json;

use crate::helpers::spam::{person, with};
use crate::helpers::{TestApp, on_both_stores};

const SUCCESS_URL: &str = "http://localhost/thanks";

/// Post `pairs`; the status, the Location header and the body.
async fn answer_of(app: &TestApp, pairs: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let response = app.post_form(pairs).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().expect("ascii").to_string());
    (status, location, response.text().await.expect("body"))
}

async fn a_filled_honeypot_is_kept_as_spam_and_creates_nothing(app: TestApp) {
    let account = app.account().await;
    let response = app
        .post_form(&with(person(&account.web_key), &[("_lp_hp", "http://bot")]))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.client_count(&account).await, 0);
    assert_eq!(app.last_spam_reasons(&account).await, ["honeypot"]);
    let (_, notifications) = app
        .admin_get(&format!("/admin/v1/accounts/{}/notifications", account.id))
        .await;
    assert_eq!(notifications["notifications"], json!([]));
}

async fn a_blank_honeypot_is_empty(app: TestApp) {
    let account = app.account().await;
    app.post_form(&with(person(&account.web_key), &[("_lp_hp", "   ")]))
        .await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_renamed_honeypot_replaces_the_default_one(app: TestApp) {
    let account = app.account().await;
    app.set_spam(&account, json!({"honeypot_field": "_lp_website"}))
        .await;
    app.post_form(&with(person(&account.web_key), &[("_lp_hp", "x")]))
        .await;
    assert_eq!(app.client_count(&account).await, 1);
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Bo Bot"),
        ("_lp_website", "x"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.last_spam_reasons(&account).await, ["honeypot"]);
}

async fn a_post_faster_than_min_fill_ms_is_spam(app: TestApp) {
    let account = app.account().await;
    app.post_form(&with(person(&account.web_key), &[("_lp_t", "400")]))
        .await;
    assert_eq!(app.last_spam_reasons(&account).await, ["too_fast"]);
    assert_eq!(app.client_count(&account).await, 0);
}

async fn a_slow_enough_or_unreadable_fill_time_is_not_judged(app: TestApp) {
    let account = app.account().await;
    app.post_form(&with(person(&account.web_key), &[("_lp_t", "4000")]))
        .await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Cy Lee"),
        ("_lp_t", "soon"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.client_count(&account).await, 2);
    assert!(app.submissions(&account, Outcome::Spam).await.is_empty());
}

async fn a_blocked_email_domain_blocks_its_subdomains_in_any_case(app: TestApp) {
    let account = app.account().await;
    app.set_spam(&account, json!({"blocked_email_domains": ["spam.test"]}))
        .await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Bo Bot"),
        ("email", "bo@Mail.SPAM.test"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(
        app.last_spam_reasons(&account).await,
        ["blocked_email_domain"]
    );
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("email", "ann@notspam.test"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_blocked_word_matches_whole_words_in_any_case(app: TestApp) {
    let account = app.account().await;
    app.set_spam(&account, json!({"blocked_words": ["casino"]}))
        .await;
    app.post_form(&with(
        person(&account.web_key),
        &[("notes", "Best CASINO deals")],
    ))
    .await;
    assert_eq!(app.last_spam_reasons(&account).await, ["blocked_word"]);
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Cy Lee"),
        ("notes", "casinos nearby"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn a_blocked_ip_range_keeps_its_posts_as_spam(app: TestApp) {
    let account = app.account().await;
    let body = app
        .set_spam(&account, json!({"blocked_ips": ["127.0.0.0/8", "::1"]}))
        .await;
    assert_eq!(body["blocked_ips"], json!(["127.0.0.0/8", "::1/128"]));
    app.post_form(&person(&account.web_key)).await;
    assert_eq!(app.last_spam_reasons(&account).await, ["blocked_ip"]);
}

async fn more_links_than_max_links_is_spam(app: TestApp) {
    let account = app.account().await;
    app.set_spam(&account, json!({"max_links": 1})).await;
    let notes = "see https://www.a.test and www.b.test";
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Bo Bot"),
        ("notes", notes),
        ("OnSuccessURL", "https://localhost/thanks"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.last_spam_reasons(&account).await, ["too_many_links"]);
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("notes", "see https://www.a.test"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(app.client_count(&account).await, 1);
}

async fn every_reason_that_applies_is_listed_in_order(app: TestApp) {
    let account = app.account().await;
    app.set_spam(
        &account,
        json!({"blocked_words": ["casino"], "max_links": 0}),
    )
    .await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Bo Bot"),
        ("notes", "casino http://x.test"),
        ("_lp_t", "10"),
        ("_lp_hp", "filled"),
    ];
    app.post_form(&pairs).await;
    assert_eq!(
        app.last_spam_reasons(&account).await,
        ["honeypot", "too_fast", "blocked_word", "too_many_links"]
    );
}

async fn spam_and_success_get_the_same_json_answer(app: TestApp) {
    let account = app.account().await;
    let person_post = person(&account.web_key);
    let success = answer_of(&app, &person_post).await;
    let spam = answer_of(&app, &with(person(&account.web_key), &[("_lp_hp", "x")])).await;
    assert_eq!(spam, success);
}

async fn spam_and_success_get_the_same_redirect(app: TestApp) {
    let account = app.account().await;
    let redirect = [
        ("OnSuccessURL", SUCCESS_URL),
        ("OnErrorURL", "http://localhost/oops"),
    ];
    let success = answer_of(&app, &with(person(&account.web_key), &redirect)).await;
    let mut spammy = with(person(&account.web_key), &redirect);
    spammy.push(("_lp_hp", "x"));
    // Not a double submit of the first: the honeypot field changes nothing else.
    let spam = answer_of(&app, &spammy).await;
    assert_eq!(success.0, 303);
    assert_eq!(spam, success);
}

async fn spam_with_a_taken_email_is_not_a_duplicate(app: TestApp) {
    let account = app.account().await;
    app.post_form(&person(&account.web_key)).await;
    let (status, _, _) = answer_of(&app, &with(person(&account.web_key), &[("_lp_hp", "x")])).await;
    assert_eq!(status, 200);
    assert!(
        app.submissions(&account, Outcome::Rejected)
            .await
            .is_empty()
    );
}

async fn control_fields_never_become_custom_fields(app: TestApp) {
    let account = app.account().await;
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("name", "Ann Lee"),
        ("_lp_hp", ""),
        ("_lp_t", "5000"),
        ("_lp_anything", "x"),
        ("cf-turnstile-response", "t"),
        ("h-captcha-response", "h"),
        ("g-recaptcha-response", "g"),
        ("color", "red"),
    ];
    app.post_form(&pairs).await;
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(
        client.custom_fields,
        [("color".to_string(), "red".to_string())]
            .into_iter()
            .collect()
    );
}

async fn control_fields_do_not_count_toward_the_100_custom_fields(app: TestApp) {
    let account = app.account().await;
    let names: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
    let mut pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    pairs.extend(person(&account.web_key));
    pairs.extend([("_lp_t", "5000"), ("_lp_x", "y")]);
    let response = app.post_form(&pairs).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.client_count(&account).await, 1);
}

async fn settings_read_back_with_defaults(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app
        .admin_get(&format!("/admin/v1/accounts/{}/spam", account.id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["honeypot_field"], "_lp_hp");
    assert_eq!(body["min_fill_ms"], 1500);
    assert_eq!(body["captcha"], json!(null));
    assert_eq!(body["max_links"], json!(null));
    assert_eq!(body["require_origin"], false);
}

async fn an_invalid_setting_is_422_naming_it(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app
        .admin_send(
            reqwest::Method::PATCH,
            &format!("/admin/v1/accounts/{}/spam", account.id),
            json!({"blocked_ips": ["not an ip"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["fields"][0]["field"], "blocked_ips[0]");
}

async fn the_captcha_secret_is_masked_when_read(app: TestApp) {
    let account = app.account().await;
    let patch =
        json!({"captcha": {"provider": "turnstile", "secret": "s3cret", "site_key": "site"}});
    let body = app.set_spam(&account, patch).await;
    assert_ne!(body["captcha"]["secret"], "s3cret");
    let (_, read) = app
        .admin_get(&format!("/admin/v1/accounts/{}/spam", account.id))
        .await;
    assert_ne!(read["captcha"]["secret"], "s3cret");
    assert_eq!(read["captcha"]["site_key"], "site");
    assert!(!read.to_string().contains("s3cret"));
}

async fn spam_is_counted_in_the_metric(app: TestApp) {
    let account = app.account().await;
    app.post_form(&with(person(&account.web_key), &[("_lp_hp", "x")]))
        .await;
    let text = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        text.lines()
            .any(|l| l.starts_with("leadpost_spam_total{reason=\"honeypot\"}")),
        "{text}"
    );
}

on_both_stores!(
    a_filled_honeypot_is_kept_as_spam_and_creates_nothing,
    a_blank_honeypot_is_empty,
    a_renamed_honeypot_replaces_the_default_one,
    a_post_faster_than_min_fill_ms_is_spam,
    a_slow_enough_or_unreadable_fill_time_is_not_judged,
    a_blocked_email_domain_blocks_its_subdomains_in_any_case,
    a_blocked_word_matches_whole_words_in_any_case,
    a_blocked_ip_range_keeps_its_posts_as_spam,
    more_links_than_max_links_is_spam,
    every_reason_that_applies_is_listed_in_order,
    spam_and_success_get_the_same_json_answer,
    spam_and_success_get_the_same_redirect,
    spam_with_a_taken_email_is_not_a_duplicate,
    control_fields_never_become_custom_fields,
    control_fields_do_not_count_toward_the_100_custom_fields,
    settings_read_back_with_defaults,
    an_invalid_setting_is_422_naming_it,
    the_captcha_secret_is_masked_when_read,
    spam_is_counted_in_the_metric,
);
