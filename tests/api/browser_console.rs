//! The console in a real headless Chromium, on both stores: logging in, the live inbox showing a
//! lead posted meanwhile, a lead's page and its actions, notifications, the monitor and the
//! accounts page; a viewer finding no action buttons; every page at 1280 px and 390 px wide
//! (screenshots under the target directory) without sideways scrolling at 390 px.

use crate::browser_support::Browser;
use crate::helpers::people::PASSWORD;
use crate::helpers::{Backend, TestApp, spawn_app};

/// Log in through the form as `email`.
async fn log_in(app: &TestApp, browser: &Browser, email: &str) {
    browser
        .goto(&format!("{}/console/login", app.address))
        .await;
    browser.fill("#email", email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#login").await;
    browser.wait_for("#signed-in").await;
}

/// Screenshots of the page at both widths, and no sideways scrolling on a phone.
async fn both_widths(browser: &Browser, name: &str, backend: &str) {
    browser.set_width(1280).await;
    browser
        .save_full_page(&format!("console-{name}-{backend}-1280"))
        .await;
    browser.set_width(390).await;
    assert_eq!(
        browser.sideways_scroll().await,
        0,
        "{name} scrolls sideways"
    );
    browser
        .save_full_page(&format!("console-{name}-{backend}-390"))
        .await;
    browser.set_width(1280).await;
}

async fn a_member_works_through_the_console(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let account = app.account().await;
    let email = app.member(&account, "member").await;
    log_in(&app, &browser, &email).await;
    browser.wait_for("#no-leads").await;
    both_widths(&browser, "leads", name).await;

    // A lead posted while the inbox is open shows up without a reload.
    browser
        .run("window.__sameDocument = true; return true;", vec![])
        .await;
    let posted = app
        .post_form(&[
            ("web_key", account.web_key.as_str()),
            ("name", "Ann Lee"),
            ("email", "ann@example.com"),
            ("new_lead_notification", "1"),
        ])
        .await;
    assert_eq!(posted.status().as_u16(), 200);
    browser.wait_for_text("#inbox", "Ann Lee").await;
    let same = browser
        .run("return window.__sameDocument === true;", vec![])
        .await;
    assert_eq!(same, serde_json::json!(true), "the page was not reloaded");
    browser.wait_for_text("#unread-count", "1").await;

    // The lead's page: a note and a tag.
    browser.click("#inbox a").await;
    browser.wait_for_text("#lead-name", "Ann Lee").await;
    browser.fill("#note", "Called back.").await;
    browser.click("#add-note").await;
    browser.wait_for_text("#flash", "Note added.").await;
    browser.wait_for_text("#notes", "Called back.").await;
    browser.fill("#tag", "Hot").await;
    browser.click("#add-tag").await;
    browser.wait_for_text("#tags", "Hot").await;
    both_widths(&browser, "lead", name).await;

    // Notifications: mark the new-lead one read.
    browser
        .goto(&format!("{}/console/notifications", app.address))
        .await;
    browser
        .wait_for_text("#notifications", "New lead: Ann Lee")
        .await;
    browser.click(".mark-notification").await;
    browser.wait_for_text("#flash", "Marked read.").await;
    both_widths(&browser, "notifications", name).await;

    // The monitor, filtered to accepted posts.
    browser
        .goto(&format!("{}/console/submissions", app.address))
        .await;
    browser.wait_for_text("#submissions", "accepted").await;
    browser
        .goto(&format!(
            "{}/console/submissions?outcome=accepted",
            app.address
        ))
        .await;
    browser.wait_for_text("#submissions", "success").await;
    both_widths(&browser, "submissions", name).await;
    browser.close().await;
}

async fn a_viewer_finds_no_action_buttons(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let account = app.account().await;
    let id = app
        .console_lead(
            &account,
            &[("name", "Ann Lee"), ("new_lead_notification", "1")],
        )
        .await;
    let email = app.member(&account, "viewer").await;
    log_in(&app, &browser, &email).await;
    browser
        .goto(&format!("{}/console/leads/{id}", app.address))
        .await;
    browser.wait_for_text("#lead-name", "Ann Lee").await;
    let buttons = browser
        .run(
            "return document.querySelectorAll('main form[method=post] button').length;",
            vec![],
        )
        .await;
    assert_eq!(buttons, serde_json::json!(0));
    browser
        .goto(&format!("{}/console/notifications", app.address))
        .await;
    browser.wait_for("#notifications").await;
    let marks = browser
        .run(
            "return document.querySelectorAll('.mark-notification').length;",
            vec![],
        )
        .await;
    assert_eq!(marks, serde_json::json!(0));
    browser.close().await;
}

async fn an_operator_creates_an_account_and_switches_to_it(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    app.account().await;
    let email = crate::helpers::people::email("operator");
    let (status, body) = app
        .admin_post(
            "/admin/v1/users",
            serde_json::json!({"email": email, "password": PASSWORD, "operator": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    log_in(&app, &browser, &email).await;
    browser
        .goto(&format!("{}/console/accounts", app.address))
        .await;
    browser.wait_for("#accounts").await;
    both_widths(&browser, "accounts", name).await;
    browser.fill("#name", "Brand New Co").await;
    browser.click("#create-account").await;
    browser.wait_for_text("#flash", "Brand New Co").await;
    let chosen = browser
        .run(
            "const s = document.getElementById('account'); return s.options[s.selectedIndex].text;",
            vec![],
        )
        .await;
    assert_eq!(chosen, serde_json::json!("Brand New Co"));
    browser.close().await;
}

#[tokio::test]
async fn a_member_works_through_the_console_on_sqlite() {
    a_member_works_through_the_console(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_member_works_through_the_console_on_postgres() {
    a_member_works_through_the_console(Backend::Postgres).await;
}

#[tokio::test]
async fn a_viewer_finds_no_action_buttons_on_sqlite() {
    a_viewer_finds_no_action_buttons(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_viewer_finds_no_action_buttons_on_postgres() {
    a_viewer_finds_no_action_buttons(Backend::Postgres).await;
}

#[tokio::test]
async fn an_operator_creates_an_account_and_switches_to_it_on_sqlite() {
    an_operator_creates_an_account_and_switches_to_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_operator_creates_an_account_and_switches_to_it_on_postgres() {
    an_operator_creates_an_account_and_switches_to_it(Backend::Postgres).await;
}
