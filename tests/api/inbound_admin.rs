//! The admin side of inbound email: a lead source's inbound addresses and their rotation, the
//! parsers (order, validation, test) and who may do what.

use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::inbound::{
    DOMAIN, lead_mail, lead_parser, on_both_stores_inbound, parsers_path,
};

fn source_path(account: &leadpost::store::Account, source: &leadpost::store::LeadSource) -> String {
    format!(
        "/admin/v1/accounts/{}/lead-sources/{}",
        account.id, source.id
    )
}

async fn a_lead_source_reads_back_its_inbound_url_and_address(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let (status, body) = app.admin_get(&source_path(&account, &source)).await;
    assert_eq!(status, 200);
    let token = &source.inbound_token;
    assert_eq!(token.len(), 28);
    assert!(
        token
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    assert_eq!(
        body["inbound_url"],
        format!("https://leads.example.org/v1/inbound/{token}")
    );
    assert_eq!(body["inbound_address"], format!("{token}@{DOMAIN}"));
    let (_, list) = app
        .admin_get(&format!("/admin/v1/accounts/{}/lead-sources", account.id))
        .await;
    assert_eq!(list["lead_sources"][0]["inbound_url"], body["inbound_url"]);
}

async fn rotating_the_inbound_token_refuses_the_old_one_at_once(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let path = format!("{}/rotate-inbound-token", source_path(&account, &source));
    let (status, body) = app.admin_post(&path, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let url = body["inbound_url"].as_str().expect("url");
    let new_token = url.rsplit('/').next().expect("token");
    assert_ne!(new_token, source.inbound_token);
    let old = app
        .post_inbound(
            &source.inbound_token,
            "message/rfc822",
            lead_mail("a@example.com"),
        )
        .await;
    assert_eq!(old.status(), 404);
    let new = app
        .post_inbound(new_token, "message/rfc822", lead_mail("a@example.com"))
        .await;
    assert_eq!(new.status(), 200);
}

async fn parsers_are_listed_by_position_new_ones_last(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let path = parsers_path(&account, &source);
    let mut second = lead_parser();
    second["name"] = json!("Second");
    let (_, created) = app.admin_post(&path, second).await;
    assert_eq!(created["position"], 1);
    let mut first = lead_parser();
    first["name"] = json!("Zeroth");
    first["position"] = json!(0);
    app.admin_post(&path, first).await;
    let (status, list) = app.admin_get(&path).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["parsers"]
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Leads vendor", "Zeroth", "Second"]);
}

async fn a_put_without_position_keeps_it_and_delete_removes(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let path = parsers_path(&account, &source);
    let mut spec = lead_parser();
    spec["position"] = json!(7);
    let (_, created) = app.admin_post(&path, spec).await;
    let one = format!("{path}/{}", created["id"].as_str().expect("id"));
    let mut renamed = lead_parser();
    renamed["name"] = json!("Renamed");
    let (status, body) = app.admin_send(reqwest::Method::PUT, &one, renamed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Renamed");
    assert_eq!(body["position"], 7);
    let (status, _) = app
        .admin_send(reqwest::Method::DELETE, &one, json!(null))
        .await;
    assert_eq!(status, 204);
    let (status, _) = app.admin_get(&one).await;
    assert_eq!(status, 404);
}

async fn a_bad_parser_is_422_naming_each_field(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let spec = json!({"name": "", "position": -1, "match": {"subject": "("},
        "terms": [{"term": "Custom: _lp_t", "start": "x"}, {"term": "Nope", "start": "y"}]});
    let (status, body) = app.admin_post(&parsers_path(&account, &source), spec).await;
    assert_eq!(status, 422, "{body}");
    let text = body.to_string();
    for field in [
        "name",
        "position",
        "match.subject",
        "terms[0].term",
        "terms[1].term",
    ] {
        assert!(text.contains(&format!("\"{field}\"")), "{field} in {text}");
    }
}

async fn the_parser_test_shows_fields_and_stores_nothing(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let path = format!("{}/test", parsers_path(&account, &source));
    let (status, body) = app
        .admin_post(&path, json!({"raw": lead_mail("ann@example.com")}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["parser"], "Leads vendor");
    assert!(body["fields"].to_string().contains("ann@example.com"));
    assert_eq!(app.client_count(&account).await, 0);
    let (_, subs) = app
        .admin_get(&format!("/admin/v1/accounts/{}/submissions", account.id))
        .await;
    assert_eq!(subs["submissions"].as_array().expect("list").len(), 0);
}

async fn viewers_read_parsers_members_test_only_owners_write(app: TestApp) {
    let (account, source) = app.inbound_source().await;
    let path = parsers_path(&account, &source);
    let read = app.api_token(&account, "read").await;
    let write = app.api_token(&account, "write").await;
    let send = |token: &str, method: reqwest::Method, path: String, body: serde_json::Value| {
        app.http
            .request(method, format!("{}{path}", app.address))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let listed = send(&read, reqwest::Method::GET, path.clone(), json!(null)).await;
    assert_eq!(listed.expect("sent").status(), 200);
    let created = send(&write, reqwest::Method::POST, path.clone(), lead_parser()).await;
    assert_eq!(created.expect("sent").status(), 403);
    let raw = json!({"raw": lead_mail("a@example.com")});
    let tested = send(
        &write,
        reqwest::Method::POST,
        format!("{path}/test"),
        raw.clone(),
    )
    .await;
    assert_eq!(tested.expect("sent").status(), 200);
    let by_viewer = send(&read, reqwest::Method::POST, format!("{path}/test"), raw).await;
    assert_eq!(by_viewer.expect("sent").status(), 403);
    let rotate = format!("{}/rotate-inbound-token", source_path(&account, &source));
    let rotated = send(&write, reqwest::Method::POST, rotate, json!({})).await;
    assert_eq!(rotated.expect("sent").status(), 403);
}

on_both_stores_inbound!(
    a_lead_source_reads_back_its_inbound_url_and_address,
    rotating_the_inbound_token_refuses_the_old_one_at_once,
    parsers_are_listed_by_position_new_ones_last,
    a_put_without_position_keeps_it_and_delete_removes,
    a_bad_parser_is_422_naming_each_field,
    the_parser_test_shows_fields_and_stores_nothing,
    viewers_read_parsers_members_test_only_owners_write,
);
