//! The shapes in which email arrives over HTTP, each read into an [`InboundMessage`]: a raw
//! `message/rfc822`, Mailgun's forwarded form (`sender`, `from`, `subject`, `body-plain`), SendGrid's
//! Inbound Parse (multipart with the raw `email`, or parsed `from`, `subject`, `text`) and Postmark's
//! inbound JSON (`FromFull.Email`, `Subject`, `TextBody`, `HtmlBody`, `Headers`).

use bytes::Bytes;
use serde::Deserialize;

use super::message::{AutomationHeaders, InboundMessage, MessageError, address_of, html_to_text};

/// Which shape a body came in (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// A raw message (`message/rfc822`).
    Raw,
    Mailgun,
    /// SendGrid with "send raw": the whole message in the `email` part.
    SendGridRaw,
    /// SendGrid's parsed fields.
    SendGrid,
    Postmark,
}

impl Provider {
    pub fn as_str(&self) -> &'static str {
        match self {
            Provider::Raw => "raw",
            Provider::Mailgun => "mailgun",
            Provider::SendGridRaw => "sendgrid_raw",
            Provider::SendGrid => "sendgrid",
            Provider::Postmark => "postmark",
        }
    }
}

/// Why a body could not be read; the text is safe to show to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("unsupported Content-Type {0:?}: send message/rfc822, a form or JSON")]
    UnsupportedType(String),
    #[error("the message could not be read: {0}")]
    Message(#[from] MessageError),
    #[error("the form could not be read: {0}")]
    Form(String),
    #[error("the JSON could not be read: {0}")]
    Json(String),
    #[error("the form has none of the fields of a known inbound email shape")]
    UnknownForm,
}

/// Read a body posted to the inbound URL, by its `Content-Type` (none: a raw message).
pub async fn read(
    content_type: Option<&str>,
    body: Bytes,
) -> Result<(Provider, InboundMessage), ProviderError> {
    let ct = content_type.unwrap_or("message/rfc822");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "message/rfc822" | "text/plain" => Ok((Provider::Raw, InboundMessage::parse(&body)?)),
        "application/json" => Ok((Provider::Postmark, postmark(&body)?)),
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| ProviderError::Form(e.to_string()))?;
            from_form(Form::text(pairs))
        }
        "multipart/form-data" => from_form(multipart(ct, body).await?),
        _ => Err(ProviderError::UnsupportedType(ct.to_string())),
    }
}

/// A posted form: its text fields, and the raw `email` part of SendGrid's raw mode.
struct Form {
    pairs: Vec<(String, String)>,
    raw_email: Option<Bytes>,
}

impl Form {
    fn text(pairs: Vec<(String, String)>) -> Self {
        Self {
            pairs,
            raw_email: None,
        }
    }

    /// A field's last non-empty value.
    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }
}

/// Tell Mailgun's and SendGrid's forms apart by their field names.
fn from_form(form: Form) -> Result<(Provider, InboundMessage), ProviderError> {
    if let Some(raw) = &form.raw_email {
        return Ok((Provider::SendGridRaw, InboundMessage::parse(raw)?));
    }
    if let Some(raw) = form.get("email") {
        return Ok((
            Provider::SendGridRaw,
            InboundMessage::parse(raw.as_bytes())?,
        ));
    }
    if form.has("body-plain") || form.has("sender") || form.has("body-html") {
        return Ok((Provider::Mailgun, mailgun(&form)));
    }
    if form.has("text") || form.has("html") || form.has("from") {
        return Ok((Provider::SendGrid, sendgrid(&form)));
    }
    Err(ProviderError::UnknownForm)
}

/// Mailgun: `from` is the From header, `sender` the envelope sender; `message-headers` is a JSON
/// list of `[name, value]` pairs.
fn mailgun(form: &Form) -> InboundMessage {
    let headers: Vec<(String, String)> = form
        .get("message-headers")
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    let mut automation = automation_from_pairs(&headers);
    if let Some((_, sender)) = form.pairs.iter().rev().find(|(n, _)| n == "sender") {
        automation.return_path = Some(sender.trim().to_string());
    }
    InboundMessage {
        from: form
            .get("from")
            .and_then(address_of)
            .or_else(|| form.get("sender").and_then(address_of)),
        subject: form.get("subject").unwrap_or_default().trim().to_string(),
        text: text_or_html(form.get("body-plain"), form.get("body-html")),
        automation,
    }
}

/// SendGrid's parsed mode: `headers` is the raw header block.
fn sendgrid(form: &Form) -> InboundMessage {
    let automation = form
        .get("headers")
        .and_then(|h| InboundMessage::parse(format!("{h}\r\n\r\n").as_bytes()).ok())
        .map(|m| m.automation)
        .unwrap_or_default();
    InboundMessage {
        from: form.get("from").and_then(address_of),
        subject: form.get("subject").unwrap_or_default().trim().to_string(),
        text: text_or_html(form.get("text"), form.get("html")),
        automation,
    }
}

/// Postmark's inbound JSON (only the fields read here).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Postmark {
    from_full: Option<PostmarkAddress>,
    from: Option<String>,
    subject: Option<String>,
    text_body: Option<String>,
    html_body: Option<String>,
    #[serde(default)]
    headers: Vec<PostmarkHeader>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkAddress {
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkHeader {
    name: String,
    value: String,
}

fn postmark(body: &[u8]) -> Result<InboundMessage, ProviderError> {
    let p: Postmark =
        serde_json::from_slice(body).map_err(|e| ProviderError::Json(e.to_string()))?;
    let headers: Vec<(String, String)> = p.headers.into_iter().map(|h| (h.name, h.value)).collect();
    let from = p
        .from_full
        .and_then(|f| f.email)
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .or_else(|| p.from.as_deref().and_then(address_of));
    Ok(InboundMessage {
        from,
        subject: p.subject.unwrap_or_default().trim().to_string(),
        text: text_or_html(p.text_body.as_deref(), p.html_body.as_deref()),
        automation: automation_from_pairs(&headers),
    })
}

/// The plain text when there is some, else the HTML as text.
fn text_or_html(text: Option<&str>, html: Option<&str>) -> String {
    match (text.filter(|t| !t.trim().is_empty()), html) {
        (Some(text), _) => text.replace("\r\n", "\n"),
        (None, Some(html)) => html_to_text(html),
        (None, None) => String::new(),
    }
}

/// The automation headers from `(name, value)` pairs, names in any case.
fn automation_from_pairs(headers: &[(String, String)]) -> AutomationHeaders {
    let block: String = headers
        .iter()
        .filter(|(n, _)| !n.contains([':', '\r', '\n']))
        .map(|(n, v)| format!("{n}: {}\r\n", v.replace(['\r', '\n'], " ")))
        .collect();
    InboundMessage::parse(format!("{block}\r\n").as_bytes())
        .map(|m| m.automation)
        .unwrap_or_default()
}

/// Read a `multipart/form-data` body: text parts become fields; file parts are skipped, except the
/// raw `email` part, whose bytes are kept as they are.
async fn multipart(content_type: &str, body: Bytes) -> Result<Form, ProviderError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ProviderError::Form("the multipart Content-Type has no boundary".into()))?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let malformed = |e: multer::Error| ProviderError::Form(e.to_string());
    let mut form = Form::text(Vec::new());
    while let Some(field) = parts.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        let is_file = field.file_name().is_some();
        let bytes = field.bytes().await.map_err(malformed)?;
        if name == "email" {
            form.raw_email = Some(bytes);
        } else if !is_file {
            form.pairs
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_ok(ct: &str, body: &str) -> (Provider, InboundMessage) {
        read(Some(ct), Bytes::from(body.to_string()))
            .await
            .expect("readable")
    }

    fn multipart_body(parts: &[(&str, Option<&str>, &str)]) -> String {
        let mut body = String::new();
        for (name, file, value) in parts {
            body.push_str("--BOUNDARY\r\nContent-Disposition: form-data; name=\"");
            body.push_str(name);
            body.push('"');
            if let Some(file) = file {
                body.push_str(&format!("; filename=\"{file}\""));
            }
            body.push_str("\r\n\r\n");
            body.push_str(value);
            body.push_str("\r\n");
        }
        body.push_str("--BOUNDARY--\r\n");
        body
    }

    const MULTIPART: &str = "multipart/form-data; boundary=BOUNDARY";
    const RAW: &str =
        "From: Vendor <leads@vendor.example>\r\nSubject: New lead\r\n\r\nName: Ann Lee\r\n";

    #[tokio::test]
    async fn raw_message_is_parsed() {
        let (provider, m) = read_ok("message/rfc822", RAW).await;
        assert_eq!(provider, Provider::Raw);
        assert_eq!(m.from.as_deref(), Some("leads@vendor.example"));
        assert_eq!(m.text.trim(), "Name: Ann Lee");
    }

    #[tokio::test]
    async fn no_content_type_is_a_raw_message() {
        let (provider, _) = read(None, Bytes::from(RAW)).await.expect("readable");
        assert_eq!(provider, Provider::Raw);
    }

    #[tokio::test]
    async fn mailgun_form_gives_from_subject_and_plain_body() {
        let body = serde_urlencoded::to_string([
            ("recipient", "tok@in.example"),
            ("sender", "bounce+x@vendor.example"),
            ("from", "Vendor Leads <leads@vendor.example>"),
            ("subject", "New lead"),
            ("body-plain", "Name: Ann Lee\r\nPhone: 8015551234"),
            (
                "message-headers",
                r#"[["Precedence","bulk"],["Auto-Submitted","auto-generated"]]"#,
            ),
        ])
        .expect("encode");
        let (provider, m) = read_ok("application/x-www-form-urlencoded", &body).await;
        assert_eq!(provider, Provider::Mailgun);
        assert_eq!(m.from.as_deref(), Some("leads@vendor.example"));
        assert_eq!(m.subject, "New lead");
        assert_eq!(m.text, "Name: Ann Lee\nPhone: 8015551234");
        assert_eq!(m.automation.precedence.as_deref(), Some("bulk"));
        assert_eq!(
            m.automation.auto_submitted.as_deref(),
            Some("auto-generated")
        );
        assert_eq!(
            m.automation.return_path.as_deref(),
            Some("bounce+x@vendor.example")
        );
    }

    #[tokio::test]
    async fn mailgun_multipart_with_html_only_body() {
        let body = multipart_body(&[
            ("sender", None, "leads@vendor.example"),
            ("subject", None, "Lead"),
            ("body-html", None, "<p>Name: <b>Ann</b></p>"),
            ("attachment-1", Some("a.pdf"), "%PDF"),
        ]);
        let (provider, m) = read_ok(MULTIPART, &body).await;
        assert_eq!(provider, Provider::Mailgun);
        assert_eq!(m.from.as_deref(), Some("leads@vendor.example"));
        assert_eq!(m.text.trim(), "Name: Ann");
    }

    #[tokio::test]
    async fn sendgrid_raw_email_part_is_parsed() {
        let body = multipart_body(&[("to", None, "tok@in.example"), ("email", None, RAW)]);
        let (provider, m) = read_ok(MULTIPART, &body).await;
        assert_eq!(provider, Provider::SendGridRaw);
        assert_eq!(m.subject, "New lead");
        assert_eq!(m.text.trim(), "Name: Ann Lee");
    }

    #[tokio::test]
    async fn sendgrid_parsed_fields_are_read() {
        let body = multipart_body(&[
            (
                "headers",
                None,
                "Auto-Submitted: auto-replied\r\nFrom: x@y.example",
            ),
            ("from", None, "\"Ann\" <ann@example.com>"),
            ("subject", None, "Hello"),
            ("text", None, "Name: Ann"),
            ("html", None, "<p>ignored</p>"),
        ]);
        let (provider, m) = read_ok(MULTIPART, &body).await;
        assert_eq!(provider, Provider::SendGrid);
        assert_eq!(m.from.as_deref(), Some("ann@example.com"));
        assert_eq!(m.text, "Name: Ann");
        assert_eq!(m.automation.auto_submitted.as_deref(), Some("auto-replied"));
    }

    #[tokio::test]
    async fn postmark_json_is_read() {
        let body = serde_json::json!({
            "From": "leads@vendor.example",
            "FromFull": {"Email": "leads@vendor.example", "Name": "Vendor"},
            "Subject": "New lead",
            "TextBody": "",
            "HtmlBody": "<div>Name: Ann Lee</div><div>Phone: 801-555-1234</div>",
            "Headers": [{"Name": "Return-Path", "Value": "<>"}, {"Name": "X-Spam", "Value": "no"}]
        })
        .to_string();
        let (provider, m) = read_ok("application/json; charset=utf-8", &body).await;
        assert_eq!(provider, Provider::Postmark);
        assert_eq!(m.from.as_deref(), Some("leads@vendor.example"));
        assert!(m.text.contains("Name: Ann Lee\n"), "{:?}", m.text);
        assert_eq!(m.automation.return_path.as_deref(), Some(""));
    }

    #[tokio::test]
    async fn unreadable_bodies_are_clear_errors() {
        let cases = [
            ("image/png", "x", "unsupported Content-Type"),
            (
                "application/json",
                "{not json",
                "the JSON could not be read",
            ),
            (
                "application/x-www-form-urlencoded",
                "a=1&b=2",
                "none of the fields",
            ),
            ("multipart/form-data", "x", "no boundary"),
            (
                MULTIPART,
                "garbage without parts",
                "the form could not be read",
            ),
            ("message/rfc822", "", "the message is empty"),
        ];
        for (ct, body, expected) in cases {
            let err = read(Some(ct), Bytes::from(body)).await.expect_err(ct);
            assert!(err.to_string().contains(expected), "{ct}: {err}");
        }
    }
}
