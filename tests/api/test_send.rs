//! A webhook's test send, through the service layer, against a real receiver on loopback: the
//! rendered request is shown (secrets masked) with the receiver's answer, and nothing is queued.

use leadpost::service::ServiceError;
use leadpost::service::test_send::test_send;
use leadpost::store::{NewWebhook, Page, Webhook};
use serde_json::json;

use crate::helpers::spam::person;
use crate::helpers::{TestApp, on_both_stores};
use crate::receiver::Receiver;

async fn webhook_to(app: &TestApp, account_id: uuid::Uuid, url: &str) -> Webhook {
    app.store
        .create_webhook(
            account_id,
            &NewWebhook {
                name: "CRM".into(),
                url: format!("{url}/hook?token=abc"),
                method: "POST".into(),
                headers: json!({"Authorization": "Bearer s3cret"}),
                body: Some(json!({"who": "{{ client.firstName }}"})),
                ..Default::default()
            },
        )
        .await
        .expect("webhook")
}

async fn a_test_send_shows_the_sample_request_and_the_answer(app: TestApp) {
    let receiver = Receiver::start(vec![(201, vec![])]).await;
    let account = app.account().await;
    let hook = webhook_to(&app, account.id, &receiver.url).await;
    let settings = app.worker_settings(&[]);
    let sent = test_send(app.store.clone(), &settings, account.id, hook.id, None)
        .await
        .expect("sent");
    assert_eq!(sent.status, Some(201));
    assert_eq!(sent.response.as_deref(), Some("answer body"));
    assert!(sent.sample && sent.error.is_none());
    let request = sent.request.expect("the request is shown");
    assert_eq!(request.body, r#"{"who":"Sample"}"#);
    assert!(!request.url.contains("abc"), "query values are masked");
    assert!(
        request
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer ********")
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json(), json!({"who": "Sample"}));
    assert_eq!(
        received[0].header("authorization").as_deref(),
        Some("Bearer s3cret")
    );
    let jobs = app
        .store
        .list_jobs(account.id, Page::first(10))
        .await
        .expect("jobs");
    assert!(jobs.is_empty(), "a test send queues nothing");
}

async fn a_test_send_about_a_real_lead_renders_that_lead(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    assert_eq!(app.post_form(&person(&source.web_key)).await.status(), 200);
    let client = app.latest_client(&account).await.expect("client");
    let hook = webhook_to(&app, account.id, &receiver.url).await;
    let settings = app.worker_settings(&[]);
    let sent = test_send(
        app.store.clone(),
        &settings,
        account.id,
        hook.id,
        Some(client.id),
    )
    .await
    .expect("sent");
    assert!(!sent.sample);
    assert_eq!(receiver.received()[0].json(), json!({"who": "Ann"}));
}

async fn a_test_send_of_another_accounts_webhook_is_not_found(app: TestApp) {
    let account = app.account().await;
    let other = app.account().await;
    let hook = webhook_to(&app, other.id, "http://127.0.0.1:9").await;
    let settings = app.worker_settings(&[]);
    let refused = test_send(app.store.clone(), &settings, account.id, hook.id, None).await;
    assert!(matches!(refused, Err(ServiceError::NotFound(_))));
}

async fn a_test_send_to_a_refused_address_shows_the_reason(app: TestApp) {
    let account = app.account().await;
    let hook = webhook_to(&app, account.id, "http://127.0.0.1:9").await;
    // The default settings refuse loopback and private targets.
    let settings = app.settings.delivery.clone();
    let sent = test_send(app.store.clone(), &settings, account.id, hook.id, None)
        .await
        .expect("answered");
    assert_eq!(sent.status, None);
    assert!(sent.error.is_some_and(|e| !e.is_empty()));
}

on_both_stores!(
    a_test_send_shows_the_sample_request_and_the_answer,
    a_test_send_about_a_real_lead_renders_that_lead,
    a_test_send_of_another_accounts_webhook_is_not_found,
    a_test_send_to_a_refused_address_shows_the_reason,
);
