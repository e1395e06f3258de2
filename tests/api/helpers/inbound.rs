//! What the inbound tests share: a lead source with a parser for the test vendor's mail, messages
//! built as real RFC 822 text, posting to the inbound URL, and running one case on both stores with
//! changed settings.

use leadpost::config::Settings;
use leadpost::store::{Account, LeadSource, Outcome, Submission};
use serde_json::{Value, json};

use super::TestApp;

/// The parser the tests give a lead source: mail from `*@leads.example` whose subject says
/// "New lead", with one line per field.
pub fn lead_parser() -> Value {
    json!({
        "name": "Leads vendor",
        "match": {"from": "*@leads.example", "subject": "New lead"},
        "terms": [
            {"term": "Name", "start": "Name:"},
            {"term": "Email", "start": "Email:"},
            {"term": "Phone", "start": "Phone:"},
            {"term": "Custom: Job", "start": "Job:"},
        ]
    })
}

/// A plain-text message with these headers (`From`, `Subject` and any others) and body.
pub fn message(from: &str, subject: &str, extra_headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!(
        "From: {from}\r\nTo: leads@in.example\r\nSubject: {subject}\r\n\
         Message-ID: <{}@leads.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n",
        uuid::Uuid::now_v7()
    );
    for (name, value) in extra_headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(&body.replace('\n', "\r\n"));
    text
}

/// The vendor's lead mail for `email`, which the [`lead_parser`] takes.
pub fn lead_mail(email: &str) -> String {
    message(
        "Leads <bot@leads.example>",
        "New lead from the website",
        &[],
        &format!("Name: Ann Lee\nEmail: {email}\nPhone: (801) 555-1234\nJob: Roof repair\n"),
    )
}

impl TestApp {
    /// A new account and a lead source of it with the [`lead_parser`].
    pub async fn inbound_source(&self) -> (Account, LeadSource) {
        let account = self.account().await;
        let source = self.lead_source(&account, None).await;
        let (status, body) = self
            .admin_post(&parsers_path(&account, &source), lead_parser())
            .await;
        assert_eq!(status, 201, "{body}");
        (account, source)
    }

    /// POST `body` with `content_type` to `/v1/inbound/{token}`.
    pub async fn post_inbound(
        &self,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/inbound/{token}", self.address))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// The account's newest logged submission.
    pub async fn last_submission(&self, account: &Account) -> Submission {
        let mut all = Vec::new();
        for outcome in [
            Outcome::Accepted,
            Outcome::Rejected,
            Outcome::Spam,
            Outcome::Ignored,
        ] {
            all.extend(self.submissions(account, outcome).await);
        }
        all.into_iter()
            .max_by_key(|s| s.id)
            .expect("a submission is logged")
    }
}

/// `/admin/v1/accounts/{id}/lead-sources/{sid}/parsers`
pub fn parsers_path(account: &Account, source: &LeadSource) -> String {
    format!(
        "/admin/v1/accounts/{}/lead-sources/{}/parsers",
        account.id, source.id
    )
}

/// The inbound domain the tests configure.
pub const DOMAIN: &str = "in.example";

/// Settings with the inbound domain, a public URL and the SMTP listener on a free loopback port.
pub fn inbound_settings(settings: &mut Settings) {
    settings.inbound.domain = DOMAIN.into();
    settings.server.public_url = "https://leads.example.org".into();
    settings.inbound.smtp_listen = "127.0.0.1:0".into();
}

/// Run each named case on SQLite and PostgreSQL with [`inbound_settings`].
macro_rules! on_both_stores_inbound {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let app = crate::helpers::spawn_app_with(
                        crate::helpers::Backend::Sqlite,
                        crate::helpers::inbound::inbound_settings,
                    )
                    .await
                    .expect("sqlite app");
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = crate::helpers::spawn_app_with(
                        crate::helpers::Backend::Postgres,
                        crate::helpers::inbound::inbound_settings,
                    )
                    .await
                    {
                        super::$name(app).await
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_stores_inbound;
