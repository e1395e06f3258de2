//! What the spam tests share: changing an account's spam settings, reading its kept spam, and a
//! loopback CAPTCHA provider that records what it was asked.

use std::sync::{Mutex, OnceLock};

use axum::Form;
use axum::extract::Path;
use leadpost::store::{Account, Outcome, Page, Submission, SubmissionFilter};
use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// PATCH the account's spam settings; they must be accepted.
    pub async fn set_spam(&self, account: &Account, patch: Value) -> Value {
        let (status, body) = self
            .admin_send(
                reqwest::Method::PATCH,
                &format!("/admin/v1/accounts/{}/spam", account.id),
                patch,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The account's logged posts with this outcome, newest first.
    pub async fn submissions(&self, account: &Account, outcome: Outcome) -> Vec<Submission> {
        let filter = SubmissionFilter {
            account_id: Some(account.id),
            outcome: Some(outcome),
            error_code: None,
            channel: None,
        };
        self.store
            .list_submissions(&filter, Page::first(100))
            .await
            .expect("submissions listed")
    }

    /// The reasons of the account's newest kept spam, as stored names.
    pub async fn last_spam_reasons(&self, account: &Account) -> Vec<String> {
        let spam = self.submissions(account, Outcome::Spam).await;
        let newest = spam.first().expect("a spam submission is kept");
        newest
            .spam_reasons
            .iter()
            .map(|r| r.as_str().to_string())
            .collect()
    }
}

/// Every verify request the stub provider was sent: the provider (path) and its form.
static ASKED: Mutex<Vec<VerifyRequest>> = Mutex::new(Vec::new());

/// One verify request: the provider (path) and its form.
pub type VerifyRequest = (String, Vec<(String, String)>);
static STUB: OnceLock<url::Url> = OnceLock::new();

/// The base URL of a loopback CAPTCHA provider shared by the whole test run, started on first use on
/// its own thread (each test has its own runtime). It answers by the token it is sent: `pass`
/// succeeds, `fail` fails, `low` scores 0.1, `half` scores 0.5, `broken` is a 500, anything else
/// is an answer that does not parse.
pub fn captcha_stub() -> url::Url {
    STUB.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stub runtime");
            runtime.block_on(async move {
                let app = axum::Router::new().route("/{provider}", axum::routing::post(verify));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("stub binds");
                let address = listener.local_addr().expect("stub address");
                tx.send(address).expect("address sent");
                axum::serve(listener, app).await.expect("stub serves");
            });
        });
        let address = rx.recv().expect("stub started");
        url::Url::parse(&format!("http://{address}/")).expect("stub url")
    })
    .clone()
}

async fn verify(
    Path(provider): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let token = form
        .iter()
        .find(|(name, _)| name == "response")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    ASKED.lock().expect("lock").push((provider, form));
    let body = match token.split(':').next().unwrap_or_default() {
        "pass" => json!({"success": true}),
        "fail" => json!({"success": false}),
        "low" => json!({"success": true, "score": 0.1}),
        "half" => json!({"success": true, "score": 0.5}),
        "broken" => return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => return "not json".into_response(),
    };
    axum::Json(body).into_response()
}

/// The provider and form of the verify request that carried `token`.
pub fn verify_request(token: &str) -> Option<VerifyRequest> {
    ASKED
        .lock()
        .expect("lock")
        .iter()
        .find(|(_, form)| form.iter().any(|(n, v)| n == "response" && v == token))
        .cloned()
}

/// The pairs of a post by a person: key, name, email.
pub fn person(web_key: &str) -> Vec<(&str, &str)> {
    vec![
        ("web_key", web_key),
        ("name", "Ann Lee"),
        ("email", "ann@example.com"),
    ]
}

/// `pairs` with more fields.
pub fn with<'a>(
    mut pairs: Vec<(&'a str, &'a str)>,
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    pairs.extend_from_slice(more);
    pairs
}
