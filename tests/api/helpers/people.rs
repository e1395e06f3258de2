//! People in tests: users with a role in an account, account API tokens, console sessions, and
//! admin requests made with each of them.

use leadpost::store::Account;
use reqwest::Method;
use serde_json::{Value, json};

use super::{TestApp, json_of};

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// A signed-in console session: its cookie and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A user's email, unique within the test.
pub fn email(label: &str) -> String {
    format!("{label}-{}@example.com", uuid::Uuid::now_v7().simple())
}

impl TestApp {
    /// A user with `PASSWORD` (through the admin API); its id.
    pub async fn user(&self, email: &str) -> String {
        let (status, body) = self
            .admin_post(
                "/admin/v1/users",
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// A new user with `role` in the account; its email.
    pub async fn member(&self, account: &Account, role: &str) -> String {
        let email = email(role);
        self.user(&email).await;
        let path = format!("/admin/v1/accounts/{}/members", account.id);
        let (status, body) = self
            .admin_post(&path, json!({"email": email, "role": role}))
            .await;
        assert_eq!(status, 201, "{body}");
        email
    }

    /// A new account API token of `scope` for the account.
    pub async fn api_token(&self, account: &Account, scope: &str) -> String {
        let path = format!("/admin/v1/accounts/{}/api-tokens", account.id);
        let (status, body) = self
            .admin_post(&path, json!({"name": "test", "scope": scope}))
            .await;
        assert_eq!(status, 201, "{body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// `POST /console/login`; the raw answer.
    pub async fn post_login(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/console/login", self.address))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .expect("login sent")
    }

    /// Log in and read the session's CSRF token off the landing page.
    pub async fn login(&self, email: &str) -> Session {
        let response = self.post_login(email, PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303);
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie");
        let cookie = set_cookie.split(';').next().expect("pair").to_string();
        let page = self
            .http
            .get(format!("{}/console/", self.address))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("landing page")
            .text()
            .await
            .expect("page read");
        Session {
            cookie,
            csrf: csrf_of(&page),
        }
    }

    /// An admin request with an API token.
    pub async fn as_token(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let request = self
            .http
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        send(request, body).await
    }

    /// An admin request with a console session (and its CSRF token on writes).
    pub async fn as_session(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let request = self
            .http
            .request(method, format!("{}{path}", self.address))
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf);
        send(request, body).await
    }
}

async fn send(request: reqwest::RequestBuilder, body: Option<Value>) -> (u16, Value) {
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    json_of(request.send().await.expect("request sent")).await
}

/// The value of the first `csrf_token` hidden field of a page.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a csrf_token field")
        .to_string()
}
