//! The console's door in a real headless Chromium: an invite link sets the password and lands in
//! the console, logging out and in again, and the password page. SQLite only: the store is covered
//! on both backends elsewhere.

use serde_json::json;

use crate::browser_support::Browser;
use crate::helpers::people::{PASSWORD, email};
use crate::helpers::{Backend, TestApp, spawn_app};

/// Log in through `/console/login` as a person would.
async fn log_in(browser: &Browser, app: &TestApp, email: &str, password: &str) {
    browser
        .goto(&format!("{}/console/login", app.address))
        .await;
    browser.fill("#email", email).await;
    browser.fill("#password", password).await;
    browser.click("#login").await;
}

/// Log out with the console's button; the login page shows.
async fn log_out(browser: &Browser) {
    browser.click("#logout").await;
    browser.wait_for("#login").await;
    assert_eq!(browser.url().await.path(), "/console/login");
}

#[tokio::test]
async fn an_invite_link_sets_the_password_and_lands_in_the_console() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    let Some(browser) = Browser::start().await else {
        return;
    };
    let email = email("invited");
    let (status, body) = app
        .admin_post("/admin/v1/users", json!({"email": email}))
        .await;
    assert_eq!(status, 201, "{body}");
    let invite = body["invite_url"].as_str().expect("invite_url");
    let path = &invite[invite.find("/console/invite/").expect("path")..];

    browser.goto(&format!("{}{path}", app.address)).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("#set-password").await;
    browser.wait_for_text("#signed-in", &email).await;
    assert_eq!(browser.url().await.path(), "/console/");

    log_out(&browser).await;
    log_in(&browser, &app, &email, PASSWORD).await;
    browser.wait_for_text("#signed-in", &email).await;

    browser.goto(&format!("{}{path}", app.address)).await;
    browser.wait_for_text("h1", "used or expired").await;
    browser.close().await;
}

#[tokio::test]
async fn the_password_page_changes_the_password() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    let Some(browser) = Browser::start().await else {
        return;
    };
    let email = email("changer");
    app.user(&email).await;
    log_in(&browser, &app, &email, PASSWORD).await;
    browser.wait_for_text("#signed-in", &email).await;

    browser.click("a[href='/console/password']").await;
    browser.fill("#current_password", PASSWORD).await;
    browser.fill("#new_password", "a brand new password").await;
    browser.click("#change-password").await;
    browser
        .wait_for_text("#message", "password is changed")
        .await;

    browser.goto(&format!("{}/console/", app.address)).await;
    log_out(&browser).await;
    log_in(&browser, &app, &email, PASSWORD).await;
    browser
        .wait_for_text("#message", "Wrong email or password")
        .await;
    log_in(&browser, &app, &email, "a brand new password").await;
    browser.wait_for_text("#signed-in", &email).await;
    browser.close().await;
}
