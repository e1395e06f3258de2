//! The console's frame: the session requirement, the current account (`?account=`, kept in the
//! session, 404 for someone else's), the navigation with the unread count, the security headers,
//! the CSRF field, and the operators' extra reach.

use crate::helpers::{TestApp, on_both_stores};

async fn console_pages_without_a_session_send_to_login(app: TestApp) {
    for path in ["/console/", "/console/leads.csv"] {
        let page = app.console_get(None, path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.headers["location"], "/console/login", "{path}");
    }
}

async fn console_pages_send_the_security_headers(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let page = app.console_get(Some(&session), "/console/").await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("http"), "no external source: {csp}");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
}

async fn the_frame_links_every_console_page_and_carries_the_csrf_field(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "member").await;
    let page = app.console_get(Some(&session), "/console/").await;
    for path in [
        "/console/notifications",
        "/console/submissions",
        "/console/spam",
        "/console/deliveries",
        "/console/sources",
        "/console/automations",
        "/console/settings",
    ] {
        assert!(page.html.contains(&format!("href=\"{path}\"")), "{path}");
    }
    assert!(
        !page.html.contains("href=\"/console/accounts\""),
        "operators only"
    );
    assert!(page.html.contains(&format!("value=\"{}\"", session.csrf)));
    assert!(
        page.html.contains(&account.name),
        "the current account is named"
    );
}

async fn naming_an_account_one_does_not_belong_to_is_not_found(app: TestApp) {
    let (mine, other) = (app.account().await, app.account().await);
    let session = app.console_as(&mine, "owner").await;
    let path = format!("/console/?account={}", other.id);
    assert_eq!(app.console_get(Some(&session), &path).await.status, 404);
    let garbage = app
        .console_get(Some(&session), "/console/?account=nope")
        .await;
    assert_eq!(garbage.status, 404);
}

async fn the_chosen_account_is_kept_in_the_session(app: TestApp) {
    let (first, second) = (app.account().await, app.account().await);
    let email = app.member(&first, "viewer").await;
    let path = format!("/admin/v1/accounts/{}/members", second.id);
    let (status, body) = app
        .admin_post(&path, serde_json::json!({"email": email, "role": "viewer"}))
        .await;
    assert_eq!(status, 201, "{body}");
    let session = app.login(&email).await;
    let chosen = format!("/console/?account={}", second.id);
    assert_eq!(app.console_get(Some(&session), &chosen).await.status, 200);
    let later = app.console_get(Some(&session), "/console/").await;
    let selected = format!("<option value=\"{}\" selected>", second.id);
    assert!(later.html.contains(&selected), "{}", later.html);
}

async fn operators_see_every_account_and_the_accounts_link(app: TestApp) {
    let account = app.account().await;
    let session = app.console_operator().await;
    let path = format!("/console/?account={}", account.id);
    let page = app.console_get(Some(&session), &path).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("href=\"/console/accounts\""));
}

async fn the_navigation_shows_the_unread_count(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    app.console_lead(
        &account,
        &[
            ("name", "Ann"),
            ("email", "ann@example.com"),
            ("new_lead_notification", "1"),
        ],
    )
    .await;
    let page = app.console_get(Some(&session), "/console/").await;
    let unread = app
        .store
        .count_unread_notifications(account.id)
        .await
        .expect("counted");
    assert!(unread > 0, "a new lead raises a notification");
    assert!(
        page.html.contains(&format!(
            "id=\"unread-count\" aria-label=\"{unread} unread\""
        )),
        "{}",
        page.html
    );
}

async fn the_console_script_is_served_from_this_service(app: TestApp) {
    let account = app.account().await;
    let session = app.console_as(&account, "viewer").await;
    let page = app.console_get(Some(&session), "/console/").await;
    let src = page
        .html
        .split("<script src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script tag");
    assert!(src.starts_with("/console/assets/console-"), "{src}");
    let script = app.console_get(None, src).await;
    assert_eq!(script.status, 200);
    assert!(script.html.contains("EventSource"));
    assert_eq!(
        app.console_get(None, "/console/assets/other.js")
            .await
            .status,
        404
    );
}

async fn the_events_stream_needs_a_session(app: TestApp) {
    assert_eq!(app.console_get(None, "/console/events").await.status, 401);
}

on_both_stores!(
    console_pages_without_a_session_send_to_login,
    console_pages_send_the_security_headers,
    the_frame_links_every_console_page_and_carries_the_csrf_field,
    naming_an_account_one_does_not_belong_to_is_not_found,
    the_chosen_account_is_kept_in_the_session,
    operators_see_every_account_and_the_accounts_link,
    the_navigation_shows_the_unread_count,
    the_console_script_is_served_from_this_service,
    the_events_stream_needs_a_session,
);
