//! The owner email: composed from the lead (a plain-text part and an HTML part
//! in which every lead value is HTML-escaped, a one-line subject) and sent over
//! SMTP with lettre. SMTP 4xx answers and connection failures are retried, 5xx
//! answers are not.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{AutoEscape, Environment};

use crate::attempt::{AttemptResult, Outcome, describe};
use crate::store::DeliveryContext;

use super::{LeadSummary, one_line};

/// The longest subject sent, in characters.
const SUBJECT_CHARS: usize = 200;

/// The SMTP server and the From address.
#[derive(Clone)]
pub struct Smtp {
    pub(crate) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(crate) from: Mailbox,
}

const HTML: &str = r#"<!doctype html>
<html><body style="font-family: sans-serif">
<h2>New lead: {{ name }}</h2>
<p>A new lead came in for <strong>{{ account }}</strong> from <strong>{{ source }}</strong>.</p>
{% if fields %}<table cellpadding="4">
{% for field in fields %}<tr><th align="left">{{ field[0] }}</th><td>{{ field[1] }}</td></tr>
{% endfor %}</table>{% endif %}
<p style="color: #777">Sent by leadpost.</p>
</body></html>
"#;

/// `New lead: Ann Lee (Website)`: one line, at most 200 characters.
/// An encoded-word (`=?utf-8?q?...?=`) in a lead's name is broken up (`= ?`), so a
/// mail client shows it as typed, never decoded into line breaks or headers.
pub fn subject(summary: &LeadSummary) -> String {
    summary
        .headline()
        .replace("=?", "= ?")
        .chars()
        .take(SUBJECT_CHARS)
        .collect()
}

/// The plain-text part.
pub fn text_body(summary: &LeadSummary) -> String {
    let mut out = format!(
        "New lead: {}\nAccount: {}\nSource: {}\n\n",
        one_line(&summary.name),
        summary.account,
        summary.source
    );
    for (label, value) in &summary.fields {
        out.push_str(&format!("{label}: {value}\n"));
    }
    out.push_str("\nSent by leadpost.\n");
    out
}

/// The HTML part: every value HTML-escaped by the template's auto-escaping.
pub fn html_body(summary: &LeadSummary) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("email.html", HTML)?;
    env.get_template("email.html")?.render(minijinja::context! {
        name => summary.name,
        account => summary.account,
        source => summary.source,
        fields => summary.fields,
    })
}

/// The whole message for `to` about the lead.
pub fn compose(dc: &DeliveryContext, from: &Mailbox, to: &str) -> Result<Message, String> {
    let summary = LeadSummary::of(dc);
    let to: Mailbox = to
        .trim()
        .parse()
        .map_err(|e| format!("the owner email {to:?} cannot be used: {e}"))?;
    let html = html_body(&summary).map_err(|e| format!("cannot render the email: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(&summary))
        .multipart(MultiPart::alternative_plain_html(text_body(&summary), html))
        .map_err(|e| format!("cannot build the email: {e}"))
}

/// Send one message; the SMTP answer goes to the attempt log.
pub(crate) async fn send(smtp: &Smtp, message: Message) -> AttemptResult {
    match smtp.transport.send(message).await {
        Ok(response) => AttemptResult {
            status: Some(u16::from(response.code())),
            response: Some(response.message().collect::<Vec<_>>().join(" ")),
            outcome: Outcome::Delivered,
        },
        Err(e) => {
            let error = describe(&e);
            let outcome = if e.is_permanent() || e.is_client() {
                Outcome::Permanent { error }
            } else {
                Outcome::Transient {
                    error,
                    retry_after: None,
                }
            };
            AttemptResult {
                status: e.status().map(u16::from),
                response: None,
                outcome,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str) -> LeadSummary {
        LeadSummary {
            name: name.into(),
            source: "Website".into(),
            account: "Acme".into(),
            fields: vec![("Phone".into(), "801 <555> & 1234".into())],
        }
    }

    #[test]
    fn the_subject_names_the_lead_and_source_on_one_line() {
        assert_eq!(
            subject(&summary("Ann\r\nBcc: evil@example.com")),
            "New lead: Ann Bcc: evil@example.com (Website)"
        );
    }

    #[test]
    fn an_encoded_word_in_the_name_is_not_decoded_by_mail_clients() {
        let subject = subject(&summary("=?utf-8?q?=0D=0ABcc:_x@y.example?="));
        assert!(!subject.contains("=?"), "{subject}");
    }

    #[test]
    fn the_html_part_escapes_every_lead_value() {
        let html = html_body(&summary("<script>alert(1)</script>")).expect("renders");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("801 &lt;555&gt; &amp; 1234"), "{html}");
    }

    #[test]
    fn the_text_part_lists_the_fields() {
        let text = text_body(&summary("Ann Lee"));
        assert!(text.contains("New lead: Ann Lee\n"));
        assert!(text.contains("Source: Website\n"));
        assert!(text.contains("Phone: 801 <555> & 1234\n"));
    }
}
