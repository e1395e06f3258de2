//! Owner notifications sent outside the app: the email to the
//! account owner over SMTP ([`email`]) and the text message through an HTTP SMS
//! gateway ([`sms`]). The delivery worker claims `email` and `sms` jobs and calls
//! in here; what is not configured is reported so the job is recorded `skipped`.

pub mod email;
pub mod sms;

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

use crate::config::NotifySettings;
use crate::store::DeliveryContext;

/// A `[notify]` setting that cannot be used (named, secrets left out).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notify.smtp_url (LEADPOST_SMTP_URL) cannot be used: {0}")]
    SmtpUrl(String),
    #[error("notify.smtp_from (LEADPOST_SMTP_FROM) is not an email address: {0}")]
    SmtpFrom(String),
    #[error("notify.sms_url (LEADPOST_SMS_URL) must be an http:// or https:// URL")]
    SmsUrl,
    #[error("notify.sms_auth_header (LEADPOST_SMS_AUTH_HEADER) is not a valid header")]
    SmsAuthHeader,
    #[error("notify.sms_body is not a usable JSON body template: {0}")]
    SmsBody(String),
}

/// The configured senders; `None` where the settings leave one out.
#[derive(Clone, Default)]
pub struct Notifier {
    pub(crate) smtp: Option<email::Smtp>,
    pub(crate) sms: Option<sms::Gateway>,
}

impl Notifier {
    /// Parse the `[notify]` settings once, at start. `timeout` bounds one SMTP
    /// conversation (the delivery timeout).
    pub fn new(settings: &NotifySettings, timeout: Duration) -> Result<Self, NotifyError> {
        let smtp_url = settings.smtp_url.trim();
        let smtp_from = settings.smtp_from.trim();
        let smtp = if smtp_url.is_empty() || smtp_from.is_empty() {
            None
        } else {
            let from: Mailbox = smtp_from
                .parse()
                .map_err(|e: lettre::address::AddressError| NotifyError::SmtpFrom(e.to_string()))?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
                .map_err(|e| NotifyError::SmtpUrl(e.to_string()))?
                .timeout(Some(timeout))
                .build();
            Some(email::Smtp { transport, from })
        };
        let sms = if settings.sms_url.trim().is_empty() {
            None
        } else {
            Some(sms::Gateway::parse(settings)?)
        };
        Ok(Notifier { smtp, sms })
    }

    /// Whether an email can be sent at all.
    pub fn email_configured(&self) -> bool {
        self.smtp.is_some()
    }

    /// Whether a text message can be sent at all.
    pub fn sms_configured(&self) -> bool {
        self.sms.is_some()
    }
}

/// What an owner is told about a lead, in both the email and the text.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadSummary {
    /// First and last name (or the email, when there is no name).
    pub name: String,
    /// The lead source's name, or "web form".
    pub source: String,
    pub account: String,
    /// `(label, value)` of every main field the lead has, in a fixed order.
    pub fields: Vec<(String, String)>,
}

impl LeadSummary {
    /// The summary of a lead as stored.
    pub fn of(dc: &DeliveryContext) -> Self {
        let c = &dc.client;
        let mut name = c.fields.first_name().trim().to_string();
        if let Some(last) = c
            .fields
            .last_name()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(last);
        }
        if name.is_empty() {
            name = c.fields.email().unwrap_or("(no name)").to_string();
        }
        let source = dc
            .lead_source
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "web form".into());
        let mut fields = Vec::new();
        let mut add = |label: &str, value: Option<&str>| {
            if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
                fields.push((label.to_string(), v.to_string()));
            }
        };
        add("Phone", c.fields.phone());
        add("Second phone", c.fields.second_phone());
        add("Email", c.fields.email());
        add("Address", c.fields.address());
        add("City", c.fields.city());
        add("State", c.fields.state());
        add("Zip", c.fields.zip());
        add("Company", c.fields.comp_name());
        add("Notes", c.notes.first().map(|n| n.body.as_str()));
        add("Whiteboard", c.fields.whiteboard());
        let tags = c.tags.join(", ");
        add("Tags", Some(&tags));
        for (key, value) in &c.custom_fields {
            add(key, Some(value));
        }
        LeadSummary {
            name,
            source,
            account: dc.account.name.clone(),
            fields,
        }
    }

    /// `New lead: Ann Lee (Website)`, on one line.
    pub fn headline(&self) -> String {
        one_line(&format!("New lead: {} ({})", self.name, self.source))
    }
}

/// Control characters (CR and LF above all) become spaces, runs of spaces one.
pub fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> NotifySettings {
        NotifySettings {
            smtp_url: "smtp://127.0.0.1:2525".into(),
            smtp_from: "leadpost <leads@example.com>".into(),
            sms_url: "http://127.0.0.1:9/send".into(),
            ..Default::default()
        }
    }

    #[test]
    fn empty_settings_configure_nothing_and_full_ones_both_senders() {
        let none = Notifier::new(&NotifySettings::default(), Duration::from_secs(1))
            .expect("nothing to parse");
        assert!(!none.email_configured() && !none.sms_configured());
        let both = Notifier::new(&settings(), Duration::from_secs(1)).expect("parses");
        assert!(both.email_configured() && both.sms_configured());
    }

    #[test]
    fn unusable_settings_are_refused_naming_the_key_without_the_secret() {
        let cases = [
            NotifySettings {
                smtp_from: "not an address".into(),
                ..settings()
            },
            NotifySettings {
                smtp_url: "ftp://user:hunter2@mail.example.com".into(),
                ..settings()
            },
            NotifySettings {
                sms_url: "ftp://sms.example.com".into(),
                ..settings()
            },
            NotifySettings {
                sms_body: "{not json".into(),
                ..settings()
            },
            NotifySettings {
                sms_body: r#"{"text": "{{ text "}"#.into(),
                ..settings()
            },
        ];
        let keys = ["smtp_from", "smtp_url", "sms_url", "sms_body", "sms_body"];
        for (case, key) in cases.iter().zip(keys) {
            let Err(err) = Notifier::new(case, Duration::from_secs(1)) else {
                panic!("{key} should be refused");
            };
            let text = err.to_string();
            assert!(text.contains(key), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }

    #[test]
    fn one_line_removes_carriage_returns_and_line_feeds() {
        assert_eq!(
            one_line("Ann\r\nBcc: x@example.com\tLee"),
            "Ann Bcc: x@example.com Lee"
        );
    }
}
