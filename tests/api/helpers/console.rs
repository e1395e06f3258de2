//! The console in tests: signed-in sessions by role, pages fetched and forms posted with the
//! session's cookie and CSRF token.

use leadpost::store::Account;
use serde_json::json;

use super::TestApp;
use super::people::{PASSWORD, Session, email};

/// A console page as fetched: status, headers and HTML.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl TestApp {
    /// A session of a new user with `role` in the account.
    pub async fn console_as(&self, account: &Account, role: &str) -> Session {
        let email = self.member(account, role).await;
        self.login(&email).await
    }

    /// A session of a new operator user.
    pub async fn console_operator(&self) -> Session {
        let email = email("operator");
        let (status, body) = self
            .admin_post(
                "/admin/v1/users",
                json!({"email": email, "password": PASSWORD, "operator": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        self.login(&email).await
    }

    /// `GET path` with the session (or without one).
    pub async fn console_get(&self, session: Option<&Session>, path: &str) -> Fetched {
        let mut request = self.http.get(format!("{}{path}", self.address));
        if let Some(session) = session {
            request = request.header("cookie", &session.cookie);
        }
        let response = request.send().await.expect("page fetched");
        Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            html: readable(response.text().await.expect("page read")),
        }
    }

    /// `POST path` with the session's cookie and CSRF token and the form `fields`.
    pub async fn console_post(
        &self,
        session: &Session,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Fetched {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", session.csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .http
            .post(format!("{}{path}", self.address))
            .header("cookie", &session.cookie)
            .form(&form)
            .send()
            .await
            .expect("form posted");
        Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            html: readable(response.text().await.expect("answer read")),
        }
    }

    /// Follow a form's 303 as a browser would: to its `Location`, with the session and the flash
    /// cookie the answer set.
    pub async fn console_follow(&self, session: &Session, answer: &Fetched) -> Fetched {
        assert_eq!(answer.status, 303, "{}", answer.html);
        let location = answer.headers["location"].to_str().expect("location");
        let flash = answer
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("lp_flash="))
            .and_then(|v| v.split(';').next())
            .expect("a flash cookie");
        let response = self
            .http
            .get(format!("{}{location}", self.address))
            .header("cookie", format!("{}; {flash}", session.cookie))
            .send()
            .await
            .expect("page fetched");
        Fetched {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            html: readable(response.text().await.expect("page read")),
        }
    }

    /// Post a lead for the account with these extra fields; the new client's id.
    pub async fn console_lead(&self, account: &Account, fields: &[(&str, &str)]) -> String {
        let mut form: Vec<(&str, &str)> = vec![("web_key", account.web_key.as_str())];
        form.extend_from_slice(fields);
        let response = self.post_form(&form).await;
        assert_eq!(response.status().as_u16(), 200, "lead accepted");
        self.latest_client(account)
            .await
            .expect("a client")
            .id
            .to_string()
    }
}

/// HTML with the `/` that minijinja escapes in text and attributes (`&#x2f;`) put back, so that
/// tests can look for paths as written.
fn readable(html: String) -> String {
    html.replace("&#x2f;", "/")
}
