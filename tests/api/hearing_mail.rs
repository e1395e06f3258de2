//! Hearing back by mail and chat (DESIGN.md §12, §15): the lead source's autoresponder set through
//! the lead-source PATCH and mailed over a real SMTP conversation (headers, Reply-To, the 24-hour
//! limit, nothing for spam), and the `slack` / `discord` chat presets posting their exact JSON to a
//! loopback receiver through the normal webhook worker.

use leadpost::config::NotifySettings;
use leadpost::delivery::Worker;
use leadpost::store::{Account, Job, LeadSource, NewAccount, Page};
use mail_parser::MessageParser;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_stores};
use crate::notify::{SmtpSink, smtp, worker};
use crate::receiver::Receiver;

const SUBJECT: &str = "Thanks, {{ client.firstName }}!";
const BODY: &str =
    "Hello {{ client.firstName }},\n\nWe got your request via {{ lead_source.name }}.\n";

/// An account (with `owner_email`) and its lead source "Website" with the autoresponder on.
async fn answering_source(app: &TestApp, owner_email: Option<&str>) -> (Account, LeadSource) {
    let account = app
        .store
        .create_account(&NewAccount {
            name: "Acme Roofing".into(),
            owner_email: owner_email.map(Into::into),
            ..Default::default()
        })
        .await
        .expect("account");
    let source = app.lead_source(&account, None).await;
    let (status, body) = patch_source(
        app,
        &source,
        json!({"autoresponder": {"subject": SUBJECT, "body": BODY}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (account, source)
}

async fn patch_source(app: &TestApp, source: &LeadSource, body: Value) -> (u16, Value) {
    let path = format!(
        "/admin/v1/accounts/{}/lead-sources/{}",
        source.account_id, source.id
    );
    app.admin_send(Method::PATCH, &path, body).await
}

async fn post(app: &TestApp, pairs: &[(&str, &str)]) -> u16 {
    app.post_form(pairs).await.status().as_u16()
}

async fn jobs_of_kind(app: &TestApp, account: &Account, kind: &str) -> Vec<Job> {
    let mut jobs = app
        .store
        .list_jobs(account.id, Page::first(100))
        .await
        .expect("jobs");
    jobs.reverse();
    jobs.into_iter().filter(|j| j.kind == kind).collect()
}

async fn run(worker: &Worker) {
    worker.run_once().await.expect("the worker runs");
}

async fn the_autoresponder_is_set_read_back_and_cleared(app: TestApp) {
    let (_, source) = answering_source(&app, None).await;
    let path = format!(
        "/admin/v1/accounts/{}/lead-sources/{}",
        source.account_id, source.id
    );
    let (_, read) = app.admin_get(&path).await;
    assert_eq!(
        read["autoresponder"],
        json!({"subject": SUBJECT, "body": BODY})
    );
    let (status, cleared) = patch_source(&app, &source, json!({"autoresponder": null})).await;
    assert_eq!(status, 200);
    assert_eq!(cleared["autoresponder"], Value::Null);
}

async fn an_autoresponder_template_that_does_not_parse_is_422_naming_it(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    let (status, body) = patch_source(
        &app,
        &source,
        json!({"autoresponder": {"subject": "Hi {{ client.firstName", "body": "ok"}}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["fields"][0]["field"], "autoresponder.subject");
    let (_, read) = app
        .admin_get(&format!(
            "/admin/v1/accounts/{}/lead-sources/{}",
            account.id, source.id
        ))
        .await;
    assert_eq!(read["autoresponder"], Value::Null);
}

async fn the_autoreply_reaches_the_lead_from_the_service_with_the_owner_as_reply_to(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let (account, source) = answering_source(&app, Some("owner@example.com")).await;
    let status = post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "Ann@Example.com"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    run(&worker(&app, &[1], smtp(&sink))).await;

    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].from, "leads@example.com");
    assert_eq!(mails[0].to, ["Ann@Example.com"]);
    let message = MessageParser::default()
        .parse(&mails[0].data)
        .expect("a parsable message");
    assert_eq!(message.subject(), Some("Thanks, Ann!"));
    let reply_to = message
        .reply_to()
        .and_then(|r| r.first())
        .expect("Reply-To");
    assert_eq!(reply_to.address(), Some("owner@example.com"));
    assert_eq!(
        message
            .body_text(0)
            .as_deref()
            .map(|t| t.replace("\r\n", "\n")),
        Some("Hello Ann,\n\nWe got your request via Website.\n".to_string())
    );
    let raw = String::from_utf8_lossy(&mails[0].data);
    assert!(raw.contains("Content-Type: text/plain"), "{raw}");
    let jobs = jobs_of_kind(&app, &account, "autoreply").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "delivered");
}

async fn without_an_owner_email_the_autoreply_has_no_reply_to(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let (_, source) = answering_source(&app, None).await;
    post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
        ],
    )
    .await;
    run(&worker(&app, &[1], smtp(&sink))).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let raw = String::from_utf8_lossy(&mails[0].data);
    assert!(!raw.to_ascii_lowercase().contains("reply-to"), "{raw}");
}

async fn without_smtp_the_autoreply_job_is_skipped(app: TestApp) {
    let (account, source) = answering_source(&app, Some("owner@example.com")).await;
    post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
        ],
    )
    .await;
    run(&worker(&app, &[1], NotifySettings::default())).await;
    let jobs = jobs_of_kind(&app, &account, "autoreply").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "skipped");
    assert!(
        jobs[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("SMTP")),
        "{jobs:?}"
    );
}

async fn a_lead_without_an_email_gets_no_autoreply(app: TestApp) {
    let (account, source) = answering_source(&app, None).await;
    post(&app, &[("web_key", &source.web_key), ("name", "Ann Lee")]).await;
    assert!(jobs_of_kind(&app, &account, "autoreply").await.is_empty());
}

async fn a_source_without_an_autoresponder_sends_none(app: TestApp) {
    let account = app.account().await;
    let source = app.lead_source(&account, None).await;
    post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
        ],
    )
    .await;
    assert!(jobs_of_kind(&app, &account, "autoreply").await.is_empty());
}

async fn spam_gets_no_autoreply(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let (account, source) = answering_source(&app, None).await;
    let status = post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("_lp_hp", "I am a bot"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    run(&worker(&app, &[1], smtp(&sink))).await;
    assert!(jobs_of_kind(&app, &account, "autoreply").await.is_empty());
    assert!(sink.mails().is_empty());
}

async fn a_released_spam_lead_gets_the_autoreply(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let (account, source) = answering_source(&app, None).await;
    post(
        &app,
        &[
            ("web_key", &source.web_key),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("_lp_hp", "x"),
        ],
    )
    .await;
    let (_, submissions) = app
        .admin_get(&format!(
            "/admin/v1/accounts/{}/submissions?outcome=spam",
            account.id
        ))
        .await;
    let id = submissions["submissions"][0]["id"]
        .as_str()
        .expect("the kept spam")
        .to_string();
    let (status, body) = app
        .admin_post(&format!("/admin/v1/submissions/{id}/release"), json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    run(&worker(&app, &[1], smtp(&sink))).await;
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(sink.mails()[0].to, ["ann@example.com"]);
}

async fn one_address_gets_at_most_one_autoreply_in_24_hours(app: TestApp) {
    let sink = SmtpSink::start(vec![]).await;
    let (account, source) = answering_source(&app, None).await;
    let key = source.web_key.as_str();
    let first = [
        ("web_key", key),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ];
    assert_eq!(post(&app, &first).await, 200);
    let worker = worker(&app, &[1], smtp(&sink));
    run(&worker).await;
    assert_eq!(sink.mails().len(), 1);
    // Marked spam, the client is gone: the same address (any case) may post again.
    let client = app.latest_client(&account).await.expect("a client");
    let (status, _) = app
        .admin_post(&format!("/admin/v1/clients/{}/spam", client.id), json!({}))
        .await;
    assert_eq!(status, 204);
    let again = [
        ("web_key", key),
        ("name", "Ann Lee"),
        ("email", "ANN@example.com"),
        ("city", "Orem"),
    ];
    assert_eq!(post(&app, &again).await, 200);
    run(&worker).await;

    let jobs = jobs_of_kind(&app, &account, "autoreply").await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[0].state, "delivered");
    assert_eq!(jobs[1].state, "skipped");
    assert_eq!(
        jobs[1].last_error.as_deref(),
        Some(leadpost::store::AUTOREPLY_SUPPRESSED)
    );
    assert_eq!(sink.mails().len(), 1);
}

/// A chat webhook created through the admin API, run by the account key's plan.
async fn chat_hook(app: &TestApp, account: &Account, request: Value) -> Value {
    let (status, hook) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", account.id),
            request,
        )
        .await;
    assert_eq!(status, 201, "{hook}");
    let (status, plan) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/action-plans", account.id),
            json!({"name": "Chat", "steps": [{"webhook_id": hook["id"], "delay_seconds": 0}]}),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    let (status, body) = app
        .admin_send(
            Method::PATCH,
            &format!("/admin/v1/accounts/{}", account.id),
            json!({"default_action_plan_id": plan["id"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    hook
}

async fn post_ann(app: &TestApp, account: &Account, first_name: &str) {
    let status = post(
        app,
        &[
            ("web_key", &account.web_key),
            ("firstName", first_name),
            ("lastName", "Lee"),
            ("email", "ann@example.com"),
            ("phone", "8015550102"),
        ],
    )
    .await;
    assert_eq!(status, 200);
}

fn webhook_worker(app: &TestApp) -> Worker {
    Worker::new(app.store.clone(), app.worker_settings(&[1]))
        .expect("worker")
        .with_metrics(app.metrics.clone())
}

async fn the_slack_preset_posts_the_default_message_as_text(app: TestApp) {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    let hook = chat_hook(
        &app,
        &account,
        json!({"name": "Team", "preset": "slack", "url": format!("{}/services/T1/B2/secret", receiver.url)}),
    )
    .await;
    assert_eq!(hook["preset"], "slack");
    assert_eq!(
        hook["message"],
        "New lead: {{ client.firstName }} {{ client.lastName }} {{ client.email }} {{ client.phone }}"
    );
    assert!(
        !hook["url"].as_str().unwrap_or_default().contains("secret"),
        "{hook}"
    );
    post_ann(&app, &account, "Ann").await;
    run(&webhook_worker(&app)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path, "/services/T1/B2/secret");
    assert_eq!(
        received[0].header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(
        received[0].json(),
        json!({"text": "New lead: Ann Lee ann@example.com 8015550102"})
    );
}

/// The JSON a `preset` chat webhook with `message` posts for Ann Lee's lead.
async fn chat_body(app: &TestApp, preset: &str, message: &str) -> Value {
    let receiver = Receiver::start(vec![]).await;
    let account = app.account().await;
    chat_hook(
        app,
        &account,
        json!({"name": "Team", "preset": preset, "url": receiver.url, "message": message}),
    )
    .await;
    post_ann(app, &account, "Ann").await;
    run(&webhook_worker(app)).await;
    receiver.received()[0].json()
}

async fn the_discord_preset_posts_its_message_as_content(app: TestApp) {
    let body = chat_body(
        &app,
        "discord",
        "{{ client.firstName }} ({{ client.email }})",
    )
    .await;
    assert_eq!(body, json!({"content": "Ann (ann@example.com)"}));
}

async fn a_discord_message_is_cut_at_2000_characters(app: TestApp) {
    let message = format!("{{{{ client.firstName }}}}{}", "y".repeat(2_500));
    let body = chat_body(&app, "discord", &message).await;
    assert_eq!(
        body,
        json!({"content": format!("Ann{}", "y".repeat(1_997))})
    );
}

async fn a_slack_message_is_cut_at_40000_characters(app: TestApp) {
    let message = format!("{}{{{{ client.firstName }}}}", "x".repeat(39_998));
    let body = chat_body(&app, "slack", &message).await;
    assert_eq!(body, json!({"text": format!("{}An", "x".repeat(39_998))}));
}

async fn a_chat_preset_without_a_url_or_with_a_broken_message_is_422(app: TestApp) {
    let account = app.account().await;
    let (status, body) = app
        .admin_post(
            &format!("/admin/v1/accounts/{}/webhooks", account.id),
            json!({"name": "Team", "preset": "discord", "message": "{{ client.firstName"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["url", "message"]);
}

on_both_stores!(
    the_autoresponder_is_set_read_back_and_cleared,
    an_autoresponder_template_that_does_not_parse_is_422_naming_it,
    the_autoreply_reaches_the_lead_from_the_service_with_the_owner_as_reply_to,
    without_an_owner_email_the_autoreply_has_no_reply_to,
    without_smtp_the_autoreply_job_is_skipped,
    a_lead_without_an_email_gets_no_autoreply,
    a_source_without_an_autoresponder_sends_none,
    spam_gets_no_autoreply,
    a_released_spam_lead_gets_the_autoreply,
    one_address_gets_at_most_one_autoreply_in_24_hours,
    the_slack_preset_posts_the_default_message_as_text,
    the_discord_preset_posts_its_message_as_content,
    a_discord_message_is_cut_at_2000_characters,
    a_slack_message_is_cut_at_40000_characters,
    a_chat_preset_without_a_url_or_with_a_broken_message_is_422,
);
