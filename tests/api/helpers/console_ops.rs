//! The console's operational and settings pages in tests: an account with one person of each
//! role (and an owner of another account), pages read and forms posted with a session.

use leadpost::store::{Account, NewAccount};

use super::TestApp;
use super::console::Fetched;
use super::people::Session;

/// An account with an owner, a member and a viewer signed in, and the owner of another account.
pub struct Cast {
    pub account: Account,
    pub owner: Session,
    pub member: Session,
    pub viewer: Session,
    /// The owner of another account, signed in there.
    pub outsider: Session,
}

/// A console page as read: status, `Location` (for redirects) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    /// The flash cookie a redirect set (`lp_flash=…`), to show on the page it lands on.
    pub flash: Option<String>,
    pub body: String,
}

impl From<Fetched> for Answer {
    fn from(fetched: Fetched) -> Self {
        let (location, flash) = redirect_parts(&fetched.headers);
        Answer {
            status: fetched.status,
            location,
            flash,
            body: fetched.html,
        }
    }
}

/// A redirect's `Location` and the flash cookie it set (`lp_flash=…`).
fn redirect_parts(headers: &reqwest::header::HeaderMap) -> (Option<String>, Option<String>) {
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let flash = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lp_flash=") && !v.starts_with("lp_flash=;"))
        .and_then(|v| v.split(';').next())
        .map(String::from);
    (location, flash)
}

impl Answer {
    /// The body with HTML's character references undone (what a person reads).
    pub fn text(&self) -> String {
        unescape(&self.body)
    }

    /// What a person reads inside the element with this `id`, up to its first child tag.
    pub fn element_text(&self, id: &str) -> Option<String> {
        let text = self.text();
        let rest = text.split(&format!("id=\"{id}\">")).nth(1)?;
        rest.split('<').next().map(str::to_string)
    }
}

/// `&quot;`, `&#x2f;` and the other references the templates write, undone.
pub fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl TestApp {
    /// An account named `name` with one person of each role, signed in; and an outsider.
    pub async fn cast(&self) -> Cast {
        let account = self.account().await;
        let other = self
            .store
            .create_account(&NewAccount {
                name: "Other Co".into(),
                ..Default::default()
            })
            .await
            .expect("account");
        let owner = self.member(&account, "owner").await;
        let member = self.member(&account, "member").await;
        let viewer = self.member(&account, "viewer").await;
        let outsider = self.member(&other, "owner").await;
        Cast {
            owner: self.login(&owner).await,
            member: self.login(&member).await,
            viewer: self.login(&viewer).await,
            outsider: self.login(&outsider).await,
            account,
        }
    }

    /// `GET path` with the session (`None`: without one).
    pub async fn page(&self, session: Option<&Session>, path: &str) -> Answer {
        Answer::from(self.console_get(session, path).await)
    }

    /// `POST path` with the form `pairs` and the session's CSRF token.
    pub async fn submit(&self, session: &Session, path: &str, pairs: &[(&str, &str)]) -> Answer {
        Answer::from(self.console_post(session, path, pairs).await)
    }

    /// `POST path` with `pairs` as given: no CSRF token added, the session's cookie if any.
    pub async fn submit_raw(
        &self,
        session: Option<&Session>,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.address))
            .form(pairs);
        if let Some(session) = session {
            request = request.header("cookie", &session.cookie);
        }
        answer(request.send().await.expect("form sent")).await
    }

    /// Follow a redirect's `Location` with the session (and the flash it set): the page it lands on.
    pub async fn landing(&self, session: &Session, answer: &Answer) -> Answer {
        assert_eq!(answer.status, 303, "{}", answer.body);
        let location = answer.location.clone().expect("a Location");
        let cookie = match &answer.flash {
            Some(flash) => format!("{}; {flash}", session.cookie),
            None => session.cookie.clone(),
        };
        let read = self
            .http
            .get(format!("{}{location}", self.address))
            .header("cookie", cookie)
            .send()
            .await
            .expect("landing read");
        self::answer(read).await
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let (location, flash) = redirect_parts(response.headers());
    let body = response.text().await.expect("body read");
    Answer {
        status,
        location,
        flash,
        body,
    }
}

/// A lead of the account whose one webhook job has died: the webhook's and the job's ids.
pub async fn dead_job(app: &TestApp, account: &Account) -> (uuid::Uuid, uuid::Uuid) {
    use leadpost::store::{JobKind, JobNext, NewAttempt};
    let plan = super::plan_with_webhook(app, account.id, &[0]).await;
    let source = app.lead_source(account, Some(plan)).await;
    let pairs = [
        ("web_key", source.web_key.as_str()),
        ("name", "Dee Ray"),
        ("email", "dee.ray@example.com"),
    ];
    assert_eq!(app.post_form(&pairs).await.status(), 200);
    let claimed = app
        .store
        .claim_due_jobs(JobKind::Webhook, 10, 60)
        .await
        .expect("claimed");
    let job = claimed
        .into_iter()
        .find(|j| j.account_id == account.id)
        .expect("the lead's job");
    let attempt = NewAttempt {
        attempted_at: time::OffsetDateTime::now_utc(),
        status_code: Some(500),
        latency_ms: 42,
        response: Some("receiver down for maintenance".into()),
        error: Some("HTTP 500".into()),
    };
    let next = JobNext::Dead {
        error: "HTTP 500".into(),
    };
    assert!(
        app.store
            .finish_attempt(&job, &attempt, &next)
            .await
            .expect("finished")
    );
    (job.webhook_id.expect("a webhook job"), job.id)
}

/// Post a spam lead (honeypot filled) to the account; the kept submission's id.
pub async fn kept_spam(app: &TestApp, account: &Account) -> uuid::Uuid {
    let source = app.lead_source(account, None).await;
    let pairs = super::spam::with(super::spam::person(&source.web_key), &[("_lp_hp", "x")]);
    assert_eq!(app.post_form(&pairs).await.status(), 200);
    app.submissions(account, leadpost::store::Outcome::Spam)
        .await[0]
        .id
}
