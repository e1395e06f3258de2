//! The AccuLynx preset against a real receiver on loopback: the mapped lead cut to AccuLynx's
//! limits, countries, and fields too long to send. The worker is driven with `run_once`.

use serde_json::json;

use crate::delivery::{lead_for, only_job, webhook, worker};
use crate::helpers::{TestApp, on_both_stores};
use crate::receiver::Receiver;

async fn the_acculynx_preset_posts_the_mapped_lead_cut_to_acculynx_limits(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(
        &app,
        &account,
        json!({"name": "AccuLynx", "preset": "acculynx", "api_key": "AL-KEY-1",
               "url": format!("{}/api/v1/leads", receiver.url)}),
    )
    .await;
    let first = "F".repeat(60);
    let last = "L".repeat(55);
    let company = "C".repeat(120);
    let street = "S".repeat(255);
    let whiteboard = "W".repeat(1200);
    lead_for(
        &app,
        &hook,
        &account,
        &[
            ("firstName", &first),
            ("lastName", &last),
            ("compName", &company),
            ("phone", "8015551234"),
            ("email", "ann@example.com"),
            ("address", &street),
            ("city", "Provo"),
            ("state", "ut"),
            ("whiteboard", &whiteboard),
            ("jobCategory", "residential"),
            ("workType", "not-a-work-type"),
        ],
    )
    .await;

    assert_eq!(worker(&app, &[1]).run_once().await.expect("runs"), 1);

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/api/v1/leads");
    assert_eq!(
        request.header("authorization").as_deref(),
        Some("Bearer AL-KEY-1")
    );
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        request.json(),
        json!({
            "firstName": "F".repeat(50),
            "lastName": "L".repeat(50),
            "companyName": "C".repeat(100),
            "phoneNumber1": "8015551234",
            "phoneType1": "Mobile",
            "emailAddress": "ann@example.com",
            "street": "S".repeat(250),
            "city": "Provo",
            "state": "UT",
            "country": "US",
            "notes": "W".repeat(1000),
            "jobCategory": "Residential",
        })
    );
    assert_eq!(only_job(&app, &account).await.state, "delivered");
}

async fn the_acculynx_preset_sends_canada_and_leaves_out_an_email_too_long_to_send(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let (hook, _) = webhook(
        &app,
        &account,
        json!({"name": "AccuLynx", "preset": "acculynx", "api_key": "K",
               "url": format!("{}/api/v1/leads", receiver.url)}),
    )
    .await;
    let email = format!("{}@{}.com", "a".repeat(40), "b".repeat(60));
    lead_for(
        &app,
        &hook,
        &account,
        &[
            ("name", "Ann"),
            ("second_phone", "8015550000"),
            ("email", &email),
            ("state", "ON"),
            ("zip", "k1a 0b1"),
            ("priority", "URGENT"),
            ("workType", "insurance"),
        ],
    )
    .await;
    worker(&app, &[1]).run_once().await.expect("runs");
    assert_eq!(
        receiver.received()[0].json(),
        json!({
            "firstName": "Ann",
            "phoneNumber2": "8015550000",
            "phoneType2": "Home",
            "state": "ON",
            "zip": "K1A 0B1",
            "country": "CA",
            "priority": "Urgent",
            "workType": "Insurance",
        })
    );
}

on_both_stores!(
    the_acculynx_preset_posts_the_mapped_lead_cut_to_acculynx_limits,
    the_acculynx_preset_sends_canada_and_leaves_out_an_email_too_long_to_send,
);
