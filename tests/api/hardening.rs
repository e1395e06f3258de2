//! Hostile posts found in review: none may hold the service for long, lose a lead
//! or fill the disk. Work is bounded by size and counted, or given a generous
//! ceiling the old quadratic code exceeded by far more than ten times.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Backend, TestApp, json_of, on_both_stores, spawn_app_with};

/// A ceiling no bounded post comes near; the quadratic versions took minutes here.
const GENEROUS: Duration = Duration::from_secs(10);

/// `count` distinct open formatting tags: the HTML parser's worst case.
fn open_tags(count: usize) -> String {
    (0..count).map(|i| format!("<b id={i}>")).collect()
}

/// Post a lead named Ann with one more field.
async fn post_for_ann(
    app: &TestApp,
    account: &leadpost::store::Account,
    (field, value): (&str, &str),
) -> reqwest::Response {
    app.post_form(&[
        ("web_key", &account.web_key),
        ("name", "Ann"),
        (field, value),
    ])
    .await
}

/// Assert a 400 ct104 answer; the first field it names.
async fn first_invalid_field(response: reqwest::Response) -> String {
    let (status, answer) = json_of(response).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error_code"], "ct104");
    answer["fields"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The newest submission logged for the account.
async fn latest_submission(app: &TestApp, account_id: uuid::Uuid) -> Value {
    let (status, list) = app
        .admin_get(&format!("/admin/v1/accounts/{account_id}/submissions"))
        .await;
    assert_eq!(status, 200);
    list["submissions"][0].clone()
}

async fn a_huge_markup_web_key_is_refused_without_parsing_it(app: TestApp) {
    let body = format!("web_key={}&name=Ann", open_tags(20_000));
    let start = Instant::now();
    let (status, answer) = json_of(app.post_raw(None, body).await).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error_code"], "ct101");
    assert!(start.elapsed() < GENEROUS, "took {:?}", start.elapsed());
}

async fn a_value_longer_than_any_field_is_ct104_without_parsing_it(app: TestApp) {
    let account = app.account().await;
    let notes = open_tags(7_000);
    let start = Instant::now();
    let response = post_for_ann(&app, &account, ("notes", &notes)).await;
    assert_eq!(first_invalid_field(response).await, "notes");
    assert!(start.elapsed() < GENEROUS, "took {:?}", start.elapsed());
}

async fn heavy_markup_within_the_limit_is_stripped_quickly(app: TestApp) {
    let account = app.account().await;
    // 5,000 open tags fit in the 65,535 characters of notes.
    let notes = format!("{}call me", open_tags(5_000));
    let start = Instant::now();
    let response = post_for_ann(&app, &account, ("notes", &notes)).await;
    assert_eq!(response.status(), 200);
    assert!(start.elapsed() < GENEROUS, "took {:?}", start.elapsed());
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.notes[0].body, "call me");
}

async fn thirty_thousand_tags_are_ct104_naming_tag_and_quick(app: TestApp) {
    let account = app.account().await;
    let tags: Vec<String> = (0..30_000).map(|i| format!("t{i}")).collect();
    // Commas unescaped: about 200 KB, under the body limit.
    let body = format!(
        "web_key={}&name=Ann&tag={}",
        account.web_key,
        tags.join(",")
    );
    let start = Instant::now();
    assert_eq!(
        first_invalid_field(app.post_raw(None, body).await).await,
        "tag"
    );
    assert!(start.elapsed() < GENEROUS, "took {:?}", start.elapsed());
    assert_eq!(app.client_count(&account).await, 0);
}

async fn a_hundred_tags_are_accepted_and_the_hundred_and_first_is_ct104(app: TestApp) {
    let account = app.account().await;
    let hundred: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let response = post_for_ann(&app, &account, ("tag", &hundred.join(","))).await;
    assert_eq!(response.status(), 200);
    let more = format!("{},t100", hundred.join(","));
    let response = app
        .post_form(&[
            ("web_key", &account.web_key),
            ("name", "Bo"),
            ("tag", &more),
        ])
        .await;
    assert_eq!(first_invalid_field(response).await, "tag");
}

async fn nul_and_controls_are_removed_from_names_and_values(app: TestApp) {
    let account = app.account().await;
    let body = format!(
        "web_key={}&firstName=Z%00z&lastName=Lee%01&c%00v=a%00b&notes=line%0Anext%09tab",
        account.web_key
    );
    let response = app.post_raw(None, body).await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.fields.first_name(), "Zz");
    assert_eq!(client.fields.last_name(), Some("Lee"));
    assert_eq!(
        client.custom_fields.get("cv").map(String::as_str),
        Some("ab")
    );
    assert_eq!(client.notes[0].body, "line\nnext\ttab");
}

async fn a_json_nul_is_removed_too(app: TestApp) {
    let account = app.account().await;
    let body = serde_json::json!({"web_key": account.web_key, "name": "x\u{0}y"}).to_string();
    let response = app.post_raw(Some("application/json"), body).await;
    assert_eq!(response.status(), 200);
    let client = app.latest_client(&account).await.expect("stored");
    assert_eq!(client.fields.first_name(), "xy");
}

async fn a_refused_post_with_nul_is_logged(app: TestApp) {
    let account = app.account().await;
    let body = format!("web_key={}&name=Ann&phone=1%002", account.web_key);
    let (status, answer) = json_of(app.post_raw(None, body).await).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error_code"], "ct104");
    let logged = latest_submission(&app, account.id).await;
    assert_eq!(logged["error_code"], "ct104");
    assert!(logged["fields"].to_string().contains("\"12\""));
}

async fn admin_inputs_with_nul_are_422_naming_the_field(app: TestApp) {
    let account = app.account().await;
    for (query, field) in [("email=a%00b", "email"), ("tag=a%00b", "tag")] {
        let path = format!("/admin/v1/accounts/{}/clients?{query}", account.id);
        let (status, answer) = app.admin_get(&path).await;
        assert_eq!(status, 422, "{path}");
        assert_eq!(answer["fields"][0]["field"], field);
    }
    let (status, answer) = app
        .admin_get("/admin/v1/submissions?error_code=a%00b")
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["fields"][0]["field"], "error_code");
    let (status, answer) = app
        .admin_send(
            reqwest::Method::PATCH,
            &format!("/admin/v1/accounts/{}", account.id),
            serde_json::json!({"name": "a\u{0}b"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(answer["fields"][0]["field"], "name");
}

async fn a_refused_post_keeps_at_most_16_kib_of_fields(app: TestApp) {
    let account = app.account().await;
    let filler = "a".repeat(60_000);
    let pairs = [
        ("web_key", account.web_key.as_str()),
        ("notes", &filler),
        ("whiteboard", &filler),
        ("Other", &filler),
    ];
    let (status, _) = json_of(app.post_form(&pairs).await).await;
    assert_eq!(status, 400, "no name: ct102");
    let logged = latest_submission(&app, account.id).await;
    let fields = logged["fields"].as_array().expect("fields");
    let kept: usize = fields
        .iter()
        .map(|pair| pair.to_string().len())
        .sum::<usize>();
    assert!(kept <= 17 * 1024, "kept {kept} bytes");
    let last = fields.last().expect("a last field");
    assert_eq!(last[0], "_truncated");
}

async fn an_over_long_web_key_is_ct101(app: TestApp) {
    let key = "k".repeat(300);
    let (status, answer) =
        json_of(app.post_form(&[("web_key", &key), ("name", "Ann")]).await).await;
    assert_eq!(status, 401);
    assert_eq!(answer["error_code"], "ct101");
}

async fn a_formula_in_a_custom_field_name_is_defused_in_the_csv_header(app: TestApp) {
    let account = app.account().await;
    let formula = "=HYPERLINK(\"http://evil.example\", \"hdr\")";
    let response = post_for_ann(&app, &account, (formula, "x")).await;
    assert_eq!(response.status(), 200);
    let csv = app
        .admin(
            reqwest::Method::GET,
            &format!("/admin/v1/accounts/{}/clients.csv", account.id),
        )
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    let header = csv.lines().next().unwrap_or_default();
    assert!(header.contains("'=HYPERLINK"), "{header}");
}

async fn a_reserved_name_wrapped_in_markup_is_ct104(app: TestApp) {
    let account = app.account().await;
    let response = post_for_ann(&app, &account, ("<b>phone</b>", "not-a-phone")).await;
    assert_eq!(first_invalid_field(response).await, "<b>phone</b>");
}

async fn a_redirect_url_over_2048_characters_is_ct104(app: TestApp) {
    let account = app.account().await;
    let url = format!("https://example.com/{}", "a".repeat(2100));
    let response = post_for_ann(&app, &account, ("OnSuccessURL", &url)).await;
    assert_eq!(first_invalid_field(response).await, "OnSuccessURL");
}

async fn webhook_listings_mask_url_secrets_and_unlisted_headers(app: TestApp) {
    let account = app.account().await;
    let path = format!("/admin/v1/accounts/{}/webhooks", account.id);
    let (status, created) = app
        .admin_post(
            &path,
            serde_json::json!({"name": "CRM", "url": "http://u:pw@127.0.0.1:9/hook?token=abc",
                   "headers": {"X-Passwd": "hunter2", "Content-Type": "application/json"}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (_, listed) = app.admin_get(&path).await;
    let shown = &listed["webhooks"][0];
    assert_eq!(
        shown["url"],
        "http://********@127.0.0.1:9/hook?token=********"
    );
    assert_eq!(shown["headers"]["X-Passwd"], "********");
    assert_eq!(shown["headers"]["Content-Type"], "application/json");
}

async fn a_webhook_body_with_nul_is_422(app: TestApp) {
    let account = app.account().await;
    let (status, answer) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", account.id),
            serde_json::json!({"name": "CRM", "url": "http://127.0.0.1:9/hook",
                   "body": {"note": "x\u{0}y"}}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["fields"][0]["field"], "body.note");
}

async fn a_json_boolean_for_a_redirect_url_is_ct104(app: TestApp) {
    let account = app.account().await;
    let body =
        serde_json::json!({"web_key": account.web_key, "name": "Ann", "OnSuccessURL": false});
    let response = app
        .post_raw(Some("application/json"), body.to_string())
        .await;
    let (status, answer) = json_of(response).await;
    assert_eq!(status, 400);
    assert_eq!(answer["error_code"], "ct104");
    assert_eq!(app.client_count(&account).await, 0);
}

on_both_stores!(
    a_huge_markup_web_key_is_refused_without_parsing_it,
    a_value_longer_than_any_field_is_ct104_without_parsing_it,
    heavy_markup_within_the_limit_is_stripped_quickly,
    thirty_thousand_tags_are_ct104_naming_tag_and_quick,
    a_hundred_tags_are_accepted_and_the_hundred_and_first_is_ct104,
    nul_and_controls_are_removed_from_names_and_values,
    a_json_nul_is_removed_too,
    a_refused_post_with_nul_is_logged,
    admin_inputs_with_nul_are_422_naming_the_field,
    a_refused_post_keeps_at_most_16_kib_of_fields,
    an_over_long_web_key_is_ct101,
    a_formula_in_a_custom_field_name_is_defused_in_the_csv_header,
    a_reserved_name_wrapped_in_markup_is_ct104,
    a_redirect_url_over_2048_characters_is_ct104,
    webhook_listings_mask_url_secrets_and_unlisted_headers,
    a_webhook_body_with_nul_is_422,
    a_json_boolean_for_a_redirect_url_is_ct104,
);

/// Junk posts from one address with the form's public key do not block the account's
/// real leads from other addresses, and the refusals are logged one row per minute.
async fn per_key_limit_is_per_address_and_logged_summarised(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.limits.per_key_per_minute = 2;
        s.limits.trust_proxy = true;
    })
    .await
    else {
        return;
    };
    let account = app.account().await;
    let post_from = |hop: &'static str| {
        app.http
            .post(format!("{}{}", app.address, crate::helpers::INTAKE))
            .header("x-forwarded-for", hop)
            .form(&[("web_key", account.web_key.as_str())])
            .send()
    };
    for _ in 0..2 {
        assert_eq!(post_from("127.0.0.7").await.expect("sent").status(), 400);
    }
    for _ in 0..3 {
        assert_eq!(post_from("127.0.0.7").await.expect("sent").status(), 429);
    }
    let real = app
        .http
        .post(format!("{}{}", app.address, crate::helpers::INTAKE))
        .header("x-forwarded-for", "127.0.0.8")
        .form(&[("web_key", account.web_key.as_str()), ("name", "Real Lead")])
        .send()
        .await
        .expect("sent");
    assert_eq!(real.status(), 200);
    let (_, list) = app
        .admin_get(&format!(
            "/admin/v1/accounts/{}/submissions?error_code=ct106",
            account.id
        ))
        .await;
    let rows = list["submissions"].as_array().expect("list");
    // One row per minute: one, or two when the posts straddled a minute.
    assert!((1..=2).contains(&rows.len()), "{list}");
    let counted: u64 = rows
        .iter()
        .filter_map(|row| {
            let message = row["message"].as_str()?;
            message
                .split_whitespace()
                .find_map(|w| w.parse::<u64>().ok())
        })
        .sum();
    assert_eq!(counted, 3, "{list}");
}

#[tokio::test]
async fn per_key_limit_is_per_address_and_logged_summarised_sqlite() {
    per_key_limit_is_per_address_and_logged_summarised(Backend::Sqlite).await;
}

#[tokio::test]
async fn per_key_limit_is_per_address_and_logged_summarised_postgres() {
    per_key_limit_is_per_address_and_logged_summarised(Backend::Postgres).await;
}
