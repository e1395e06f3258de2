//! Thumbtack leads: `POST /v1/external-api/thumbtack/lead`, the mapping, the key in a header or
//! the query, and `leadID` as the double-submit guard for good.

use leadpost::store::{Channel, Outcome, Page, SubmissionFilter};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::helpers::inbound::on_both_stores_inbound;

const PATH: &str = "/v1/external-api/thumbtack/lead";

fn lead(lead_id: &str) -> Value {
    json!({
        "leadID": lead_id,
        "customer": {"name": "Ann Lee", "phone": "8015551234"},
        "request": {
            "location": {"city": "Provo", "state": "UT", "zipCode": "84601"},
            "details": [
                {"question": "What needs repair?", "answer": "Shingles"},
                {"question": "phone", "answer": "evenings"}
            ]
        },
        "business": {"name": "Acme Roofing"}
    })
}

async fn post(app: &TestApp, key: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}{PATH}", app.address))
        .header("x-web-key", key)
        .json(body)
        .send()
        .await
        .expect("sent");
    crate::helpers::json_of(response).await
}

async fn a_thumbtack_lead_becomes_a_client_with_its_details(app: TestApp) {
    let account = app.account().await;
    let (status, body) = post(&app, &account.web_key, &lead("tt-1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Message"], "Success");
    let client = app.latest_client(&account).await.expect("a client");
    assert_eq!(client.fields.first_name(), "Ann");
    assert_eq!(client.fields.phone(), Some("8015551234"));
    assert_eq!(client.custom_fields["What needs repair?"], "Shingles");
    assert_eq!(client.custom_fields["Q: phone"], "evenings");
    let logged = app.last_submission(&account).await;
    assert_eq!(logged.channel, Channel::Vendor);
    assert!(logged.raw_message.expect("raw").contains("tt-1"));
}

async fn the_web_key_may_come_in_the_query(app: TestApp) {
    let account = app.account().await;
    let response = app
        .http
        .post(format!("{}{PATH}?web_key={}", app.address, account.web_key))
        .json(&lead("tt-2"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(app.client_count(&account).await, 1);
}

async fn the_same_lead_id_again_is_a_success_and_nothing_new_even_changed(app: TestApp) {
    let account = app.account().await;
    post(&app, &account.web_key, &lead("tt-3")).await;
    // Past the replay window: the leadID is remembered for good.
    app.exec("DELETE FROM replay_guard").await;
    let mut changed = lead("tt-3");
    changed["customer"]["name"] = json!("Someone Else");
    let (status, body) = post(&app, &account.web_key, &changed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.client_count(&account).await, 1);
    let accepted = app.submissions(&account, Outcome::Accepted).await;
    assert_eq!(accepted.len(), 2);
    assert_eq!(accepted[0].replay_of, Some(accepted[1].id));
}

async fn an_unknown_web_key_is_401_ct101(app: TestApp) {
    let (status, body) = post(&app, "lp_nosuchkey", &lead("tt-4")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error_code"], "ct101");
}

async fn a_post_with_an_unknown_key_is_logged_with_its_body(app: TestApp) {
    post(&app, "lp_nosuchkey", &lead("tt-5")).await;
    let filter = SubmissionFilter {
        account_id: None,
        outcome: Some(Outcome::Rejected),
        error_code: Some("ct101".into()),
        channel: Some(Channel::Vendor),
    };
    let logged = app
        .store
        .list_submissions(&filter, Page::first(10))
        .await
        .expect("listed");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].account_id, None);
    assert!(
        logged[0]
            .raw_message
            .as_deref()
            .expect("raw")
            .contains("tt-5")
    );
}

async fn a_body_that_is_not_a_lead_is_400_ct104(app: TestApp) {
    let account = app.account().await;
    let (status, body) = post(&app, &account.web_key, &json!({"customer": {}})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error_code"], "ct104");
}

on_both_stores_inbound!(
    a_thumbtack_lead_becomes_a_client_with_its_details,
    the_web_key_may_come_in_the_query,
    the_same_lead_id_again_is_a_success_and_nothing_new_even_changed,
    an_unknown_web_key_is_401_ct101,
    a_post_with_an_unknown_key_is_logged_with_its_body,
    a_body_that_is_not_a_lead_is_400_ct104,
);
