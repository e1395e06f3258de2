//! The console's operational and settings pages in a real headless Chromium: log in, see each
//! page, and do its main action (release spam, retry a dead delivery, rotate a key, build an embed
//! snippet whose live preview posts a real lead, test-send a webhook to a loopback receiver, make
//! an API token and invite someone); a viewer finds no action buttons; no page scrolls sideways on
//! a 390 px phone (screenshots at 1280 and 390 px under the target directory). SQLite only: the
//! pages are covered on both stores at the HTML level (console_ops.rs).

use leadpost::store::{Account, JobState, Outcome};
use serde_json::json;

use crate::browser_support::Browser;
use crate::helpers::console_ops::{dead_job, kept_spam};
use crate::helpers::people::PASSWORD;
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::receiver::Receiver;

const PAGES: &[(&str, &str)] = &[
    ("spam", "/console/spam"),
    ("deliveries", "/console/deliveries"),
    ("sources", "/console/sources"),
    ("automations", "/console/automations"),
    ("settings", "/console/settings"),
];

/// The service (loopback webhook targets allowed), an account without the too-fast check (a test
/// browser is faster than a person), and a browser; `None` without Chromium.
async fn setup() -> Option<(TestApp, Account, Browser)> {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.delivery.allow_private_targets = true;
    })
    .await
    .expect("sqlite app");
    let browser = Browser::start().await?;
    let account = app.account().await;
    app.set_spam(&account, json!({"min_fill_ms": 0})).await;
    Some((app, account, browser))
}

/// Log in as a new person with `role` in the account.
async fn log_in(app: &TestApp, browser: &Browser, account: &Account, role: &str) {
    let email = app.member(account, role).await;
    browser
        .goto(&format!("{}/console/login", app.address))
        .await;
    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#login").await;
    browser.wait_for("#signed-in").await;
}

/// The innermost elements that reach past the window's right edge (for a failure's message).
async fn too_wide(browser: &Browser) -> serde_json::Value {
    browser
        .run(
            "const w = document.documentElement.clientWidth;\n\
             return Array.from(document.querySelectorAll('body *'))\n\
               .filter(e => e.getBoundingClientRect().right > w + 1)\n\
               .filter(e => !Array.from(e.children).some(c => c.getBoundingClientRect().right > w + 1))\n\
               .slice(0, 5)\n\
               .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));",
            vec![],
        )
        .await
}

async fn open(app: &TestApp, browser: &Browser, path: &str) {
    browser.goto(&format!("{}{path}", app.address)).await;
    browser.wait_for("h1").await;
}

#[tokio::test]
async fn a_member_releases_spam_and_retries_a_dead_delivery() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    let spam = kept_spam(&app, &account).await;
    let (_, job) = dead_job(&app, &account).await;
    log_in(&app, &browser, &account, "member").await;

    open(&app, &browser, "/console/spam").await;
    browser.wait_for_text("#spam", "honeypot").await;
    browser.click(&format!("#release-{spam}")).await;
    browser.wait_for_text("#flash", "Released").await;
    let released = app.submissions(&account, Outcome::Spam).await;
    assert!(released[0].released_client_id.is_some());

    open(&app, &browser, "/console/deliveries").await;
    browser.wait_for_text(&format!("#job-{job}"), "dead").await;
    browser.click(&format!("#retry-{job}")).await;
    browser.wait_for_text("#flash", "queued again").await;
    assert_eq!(
        app.store.get_job(job).await.expect("job").state,
        JobState::Queued
    );
    browser.close().await;
}

#[tokio::test]
async fn an_owner_rotates_a_key_and_the_embed_builder_preview_posts_a_lead() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    let source = app.lead_source(&account, None).await;
    log_in(&app, &browser, &account, "owner").await;
    open(&app, &browser, "/console/sources").await;
    browser.wait_for_text("#sources", &source.web_key).await;
    browser.wait_for("[data-copy]:not([hidden])").await;

    // The live preview follows the choices without a reload.
    browser.click("#field-zip").await;
    let code = browser
        .run(
            "for (let i = 0; i < 150; i++) {\n\
               const code = document.getElementById('embed-code').value;\n\
               if (code.includes('name=\"zip\"')) return code;\n\
               await new Promise(r => setTimeout(r, 100));\n\
             }\n\
             return null;",
            vec![],
        )
        .await;
    assert!(code.is_string(), "the code box never showed the ZIP input");
    let frame = browser.wait_for("#embed-preview").await;
    frame.enter_frame().await.expect("into the preview");
    browser.wait_for("form [name=zip]").await;
    browser.fill("[name=firstName]", "Ann").await;
    browser.fill("[name=lastName]", "Lee").await;
    browser.fill("[name=phone]", "(801) 555-0102").await;
    browser.fill("[name=zip]", "84101").await;
    browser.click("[type=submit]").await;
    browser.wait_for_text(".leadpost-status", "Thank you").await;
    browser
        .client()
        .enter_parent_frame()
        .await
        .expect("back out of the preview");
    let client = app.latest_client(&account).await.expect("the lead arrived");
    assert_eq!(client.fields.first_name(), "Ann");
    assert_eq!(client.fields.phone(), Some("8015550102"));
    assert_eq!(client.lead_source_id, Some(source.id));

    browser.click(&format!("#rotate-{}", source.id)).await;
    browser.wait_for_text("#flash", "New key").await;
    browser.close().await;
}

#[tokio::test]
async fn an_owner_test_sends_a_webhook_and_sees_the_receivers_answer() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    let receiver = Receiver::start(vec![(201, vec![])]).await;
    let hook = app
        .store
        .create_webhook(
            account.id,
            &leadpost::store::NewWebhook {
                name: "Receiver".into(),
                url: format!("{}/in", receiver.url),
                method: "POST".into(),
                headers: json!({}),
                ..Default::default()
            },
        )
        .await
        .expect("webhook");
    log_in(&app, &browser, &account, "owner").await;
    open(&app, &browser, "/console/automations").await;
    browser.click(&format!("#test-{}", hook.id)).await;
    browser.wait_for_text("#test-outcome", "HTTP 201").await;
    browser.wait_for_text("#test-answer", "answer body").await;
    browser.wait_for_text("#test-request", "webhook-id").await;
    assert_eq!(receiver.count(), 1);
    browser.close().await;
}

#[tokio::test]
async fn an_owner_makes_an_api_token_and_invites_someone() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    log_in(&app, &browser, &account, "owner").await;
    open(&app, &browser, "/console/settings").await;
    browser.fill("#token-name", "Zapier").await;
    browser.click("#token-button").await;
    let token = browser.wait_for_text("#token-value", "lpat_").await;
    assert!(token.starts_with("lpat_"));
    browser
        .fill("#invite-email", "new.person@example.com")
        .await;
    browser.click("#invite-button").await;
    browser
        .wait_for_text("#invite-url", "/console/invite/")
        .await;
    browser.close().await;
}

#[tokio::test]
async fn a_viewer_finds_no_action_buttons_and_no_page_scrolls_sideways_on_a_phone() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    kept_spam(&app, &account).await;
    dead_job(&app, &account).await;
    log_in(&app, &browser, &account, "viewer").await;
    for (name, path) in PAGES {
        for width in [1280, 390] {
            browser.set_width(width).await;
            open(&app, &browser, path).await;
            let actions = browser
                .run(
                    "return Array.from(document.querySelectorAll('form[method=post]'))\
                     .filter(f => f.getAttribute('action') !== '/console/logout').length;",
                    vec![],
                )
                .await;
            assert_eq!(actions, json!(0), "{path} offers a viewer an action");
            browser
                .save_full_page(&format!("console-{name}-viewer-{width}"))
                .await;
            assert_eq!(
                browser.sideways_scroll().await,
                0,
                "{path} scrolls sideways at {width} px: {}",
                too_wide(&browser).await
            );
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn no_owner_page_scrolls_sideways_on_a_phone() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    kept_spam(&app, &account).await;
    dead_job(&app, &account).await;
    log_in(&app, &browser, &account, "owner").await;
    for (name, path) in PAGES {
        for width in [1280, 390] {
            browser.set_width(width).await;
            open(&app, &browser, path).await;
            browser
                .save_full_page(&format!("console-{name}-owner-{width}"))
                .await;
            assert_eq!(
                browser.sideways_scroll().await,
                0,
                "{path} scrolls sideways at {width} px: {}",
                too_wide(&browser).await
            );
        }
    }
    browser.close().await;
}

#[tokio::test]
async fn an_owner_adds_a_parser_and_a_test_message_shows_the_fields() {
    let Some((app, account, browser)) = setup().await else {
        return;
    };
    let source = app.lead_source(&account, None).await;
    log_in(&app, &browser, &account, "owner").await;
    open(&app, &browser, "/console/sources").await;
    browser.click(&format!("#parsers-{}", source.id)).await;
    browser.wait_for("#create-parser").await;
    browser.fill("#parser-name", "Leads vendor").await;
    browser.fill("#parser-from", "*@leads.example").await;
    browser.fill("#term-0", "Name").await;
    browser.fill("#start-0", "Name:").await;
    browser.fill("#term-1", "Email").await;
    browser.fill("#start-1", "Email:").await;
    browser.click("#create-parser-button").await;
    browser.wait_for_text("#flash", "added at position 0").await;
    browser.wait_for_text("#parsers", "Leads vendor").await;

    let raw = crate::helpers::inbound::lead_mail("ann@example.com");
    browser
        .run(
            "document.getElementById('test-raw').value = args[0]; return null;",
            vec![json!(raw)],
        )
        .await;
    browser.click("#test-parsers-button").await;
    browser
        .wait_for_text("#test-result-heading", "Leads vendor")
        .await;
    browser
        .wait_for_text("#test-fields", "ann@example.com")
        .await;
    assert_eq!(app.client_count(&account).await, 0, "nothing is stored");
    browser.close().await;
}
