//! Console sessions: the cookie, login answers and the lockout, CSRF and `Origin` on writes,
//! password changes ending other sessions, expiry, logout, and the invite link.

use reqwest::Method;
use serde_json::json;

use crate::helpers::people::{PASSWORD, csrf_of, email};
use crate::helpers::{Backend, TestApp, on_both_stores, spawn_app_with};

async fn the_session_cookie_is_http_only_lax_and_not_secure_over_http(app: TestApp) {
    let email = email("cookie");
    app.user(&email).await;
    let response = app.post_login(&email, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 303);
    let cookie = response.headers()["set-cookie"].to_str().expect("text");
    assert!(cookie.starts_with("lp_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
}

async fn unknown_email_and_wrong_password_get_the_same_answer(app: TestApp) {
    let email = email("same");
    app.user(&email).await;
    let wrong = app.post_login(&email, "not the password").await;
    let unknown = app.post_login("nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(unknown.status().as_u16(), 401);
    let (wrong, unknown) = (
        wrong.text().await.expect("body"),
        unknown.text().await.expect("body"),
    );
    assert_eq!(
        wrong.replace(&email, ""),
        unknown.replace("nobody@example.com", "")
    );
}

async fn a_session_write_needs_its_csrf_token(app: TestApp) {
    let account = app.account().await;
    let session = app.login(&app.member(&account, "owner").await).await;
    let path = format!("/admin/v1/accounts/{}/lead-sources", account.id);
    let post = |csrf: Option<&str>, origin: Option<&str>| {
        let mut request = app
            .http
            .post(format!("{}{path}", app.address))
            .header("cookie", &session.cookie)
            .json(&json!({"name": "Web"}));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        async move { request.send().await.expect("sent").status().as_u16() }
    };
    assert_eq!(post(None, None).await, 403, "missing token");
    assert_eq!(
        post(Some("A".repeat(43).as_str()), None).await,
        403,
        "wrong token"
    );
    assert_eq!(
        post(Some(&session.csrf), Some("https://evil.example.com")).await,
        403,
        "foreign origin"
    );
    assert_eq!(post(Some(&session.csrf), Some(&app.address)).await, 201);
}

async fn a_password_change_ends_the_other_sessions(app: TestApp) {
    let email = email("change");
    app.user(&email).await;
    let (here, there) = (app.login(&email).await, app.login(&email).await);
    let (status, _) = app
        .as_session(
            &here,
            Method::POST,
            "/admin/v1/me/password",
            Some(json!({"current_password": "wrong password", "new_password": "another good one"})),
        )
        .await;
    assert_eq!(status, 403, "a wrong current password");
    let (status, _) = app
        .as_session(
            &here,
            Method::POST,
            "/admin/v1/me/password",
            Some(json!({"current_password": PASSWORD, "new_password": "another good one"})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = app
        .as_session(&there, Method::GET, "/admin/v1/me", None)
        .await;
    assert_eq!(status, 401, "the other session ended");
    let (status, _) = app
        .as_session(&here, Method::GET, "/admin/v1/me", None)
        .await;
    assert_eq!(status, 200, "this session goes on");
}

async fn logout_ends_the_session_and_clears_the_cookie(app: TestApp) {
    let email = email("logout");
    app.user(&email).await;
    let session = app.login(&email).await;
    let logout = |csrf: &str| {
        app.http
            .post(format!("{}/console/logout", app.address))
            .header("cookie", &session.cookie)
            .form(&[("csrf_token", csrf)])
            .send()
    };
    assert_eq!(logout("").await.expect("sent").status().as_u16(), 403);
    let response = logout(&session.csrf).await.expect("sent");
    assert_eq!(response.status().as_u16(), 303);
    let cleared = response.headers()["set-cookie"].to_str().expect("text");
    assert!(cleared.starts_with("lp_session=;") && cleared.contains("Max-Age=0"));
    let (status, _) = app
        .as_session(&session, Method::GET, "/admin/v1/me", None)
        .await;
    assert_eq!(status, 401);
}

async fn the_console_without_a_session_sends_to_login(app: TestApp) {
    let response = app.get("/console/").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/console/login");
    let login = app.get("/console/login").await;
    let csp = login.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

async fn a_login_from_a_foreign_origin_is_refused(app: TestApp) {
    let email = email("origin");
    app.user(&email).await;
    let response = app
        .http
        .post(format!("{}/console/login", app.address))
        .header("origin", "https://evil.example.com")
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 403);
}

async fn an_invite_link_sets_the_password_once_and_signs_in(app: TestApp) {
    let email = email("invite");
    let (status, body) = app
        .admin_post("/admin/v1/users", json!({"email": email}))
        .await;
    assert_eq!(status, 201, "{body}");
    let url = body["invite_url"].as_str().expect("invite_url");
    let path = &url[url.find("/console/invite/").expect("path")..];
    assert_eq!(app.get(path).await.status().as_u16(), 200);
    let set = |password: &'static str| {
        app.http
            .post(format!("{}{path}", app.address))
            .form(&[("password", password)])
            .send()
    };
    assert_eq!(set("short").await.expect("sent").status().as_u16(), 422);
    let accepted = set(PASSWORD).await.expect("sent");
    assert_eq!(accepted.status().as_u16(), 303, "signed in at once");
    assert_eq!(accepted.headers()["location"], "/console/");
    let cookie = accepted.headers()["set-cookie"].to_str().expect("text");
    assert!(cookie.starts_with("lp_session="), "{cookie}");
    assert_eq!(set(PASSWORD).await.expect("sent").status().as_u16(), 410);
    assert_eq!(app.get(path).await.status().as_u16(), 410);
    app.login(&email).await;
}

async fn the_console_password_page_changes_the_password(app: TestApp) {
    let email = email("page");
    app.user(&email).await;
    let session = app.login(&email).await;
    let page = app
        .http
        .get(format!("{}/console/password", app.address))
        .header("cookie", &session.cookie)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    let response = app
        .http
        .post(format!("{}/console/password", app.address))
        .header("cookie", &session.cookie)
        .form(&[
            ("csrf_token", csrf_of(&page).as_str()),
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
        ])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        app.post_login(&email, PASSWORD).await.status().as_u16(),
        401
    );
}

on_both_stores!(
    the_session_cookie_is_http_only_lax_and_not_secure_over_http,
    unknown_email_and_wrong_password_get_the_same_answer,
    a_session_write_needs_its_csrf_token,
    a_password_change_ends_the_other_sessions,
    logout_ends_the_session_and_clears_the_cookie,
    the_console_without_a_session_sends_to_login,
    a_login_from_a_foreign_origin_is_refused,
    an_invite_link_sets_the_password_once_and_signs_in,
    the_console_password_page_changes_the_password,
);

/// An app with short people timers, on each store.
async fn apps_with(change: fn(&mut leadpost::config::Settings)) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(app) = spawn_app_with(backend, change).await {
            apps.push(app);
        }
    }
    apps
}

#[tokio::test]
async fn ten_failures_lock_the_email_until_the_lock_ends() {
    // The lock time is also the failure window: long enough for ten argon2 checks on a machine
    // busy with the whole suite (6 s was not, under CI's full load).
    for app in apps_with(|s| s.people.login_lock_seconds = 15).await {
        let email = email("lock");
        app.user(&email).await;
        for _ in 0..10 {
            let status = app.post_login(&email, "wrong password!").await.status();
            assert_eq!(status.as_u16(), 401);
        }
        let locked = app.post_login(&email, PASSWORD).await;
        assert_eq!(locked.status().as_u16(), 429);
        assert!(locked.headers().contains_key("retry-after"));
        tokio::time::sleep(std::time::Duration::from_millis(15_500)).await;
        assert_eq!(
            app.post_login(&email, PASSWORD).await.status().as_u16(),
            303
        );
    }
}

#[tokio::test]
async fn an_idle_session_expires() {
    for app in apps_with(|s| s.people.session_idle_seconds = 1).await {
        let email = email("idle");
        app.user(&email).await;
        let session = app.login(&email).await;
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let (status, _) = app
            .as_session(&session, Method::GET, "/admin/v1/me", None)
            .await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn the_cookie_is_secure_under_an_https_public_url() {
    for app in apps_with(|s| s.server.public_url = "https://leads.example.com".into()).await {
        let email = email("secure");
        app.user(&email).await;
        let response = app.post_login(&email, PASSWORD).await;
        let cookie = response.headers()["set-cookie"].to_str().expect("text");
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
}
