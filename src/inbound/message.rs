//! A received email reduced to what the inbound rules read: the sender's address, the subject, the
//! text (the plain part, else the HTML part as text) and the headers that mark automatic mail.
//! Attachments are ignored. Parsing never panics: broken MIME is read on a best-effort basis.

use std::borrow::Cow;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

/// Widest line the HTML-to-text conversion produces; wide enough that a lead's line is never wrapped
/// (the bookends read values up to the end of a line).
const HTML_TEXT_WIDTH: usize = 10_000;

/// One received message, as the parsers and the ignore rules see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundMessage {
    /// The From header's address (or the provider's equivalent), when there is one.
    pub from: Option<String>,
    /// The subject, decoded; empty when absent.
    pub subject: String,
    /// The plain-text body, else the HTML body turned into text; empty when neither is there.
    pub text: String,
    /// Headers that tell automatic mail apart.
    pub automation: AutomationHeaders,
}

/// The headers that mark a message as automatic (see `inbound::ignore`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomationHeaders {
    /// `Auto-Submitted`, trimmed, as given.
    pub auto_submitted: Option<String>,
    /// `Precedence`, trimmed, as given.
    pub precedence: Option<String>,
    /// The reverse path without its angle brackets: `Some("")` is the null sender (`<>`). Taken from
    /// the `Return-Path` header, or from the SMTP envelope when there is one.
    pub return_path: Option<String>,
    /// Whether the top-level `Content-Type` is `multipart/report` (a delivery or read report).
    pub is_report: bool,
}

/// Why a body could not be read as an email at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the message is empty")]
    Empty,
    #[error("the message has no readable header")]
    NoHeaders,
}

impl InboundMessage {
    /// Parse a raw RFC 822 message. Quoted-printable, base64, encoded-word and 8-bit headers are
    /// decoded; a damaged structure gives whatever could be read.
    pub fn parse(raw: &[u8]) -> Result<Self, MessageError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(MessageError::Empty);
        }
        let message = MessageParser::default()
            .parse(raw)
            .filter(|m| !m.root_part().headers.is_empty())
            .ok_or(MessageError::NoHeaders)?;
        Ok(Self {
            from: from_address(&message),
            subject: message.subject().unwrap_or_default().trim().to_string(),
            text: body_text(&message),
            automation: AutomationHeaders::read(&message),
        })
    }

    /// Record the SMTP envelope's reverse path (`MAIL FROM`), which wins over a `Return-Path` header.
    pub fn with_envelope_sender(mut self, sender: &str) -> Self {
        self.automation.return_path = Some(strip_angles(sender).to_string());
        self
    }
}

impl AutomationHeaders {
    /// Read the automation headers of a parsed message (its top level only).
    pub fn read(message: &Message<'_>) -> Self {
        let raw = |name: &str| {
            message
                .header_raw(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let is_report = message.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        });
        Self {
            auto_submitted: raw("Auto-Submitted"),
            precedence: raw("Precedence"),
            return_path: message
                .header_raw("Return-Path")
                .map(|v| strip_angles(v).to_string()),
            is_report,
        }
    }
}

/// The address of a `From` header value such as `"Bob" <bob@example.com>`, when it has one.
pub fn address_of(header_value: &str) -> Option<String> {
    let raw = format!("From: {header_value}\r\n\r\n");
    MessageParser::default()
        .parse(raw.as_bytes())
        .and_then(|m| from_address(&m))
}

/// Turn an HTML body into the text a person reads: tags dropped, entities decoded, one line per
/// block, table cells side by side, never wrapped.
pub fn html_to_text(html: &str) -> String {
    html2text::config::plain_no_decorate()
        .no_table_borders()
        .no_link_wrapping()
        .allow_width_overflow()
        .string_from_read(html.as_bytes(), HTML_TEXT_WIDTH)
        .map(|text| {
            text.lines()
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_else(|_| crate::fields::strip_html(html))
}

fn from_address(message: &Message<'_>) -> Option<String> {
    message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
}

/// The first plain-text body part, else the first HTML part as text.
fn body_text(message: &Message<'_>) -> String {
    let plain = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.clone()),
        _ => None,
    });
    let text = plain.or_else(|| {
        message.html_bodies().find_map(|part| match &part.body {
            PartType::Html(html) => Some(Cow::Owned(html_to_text(html))),
            _ => None,
        })
    });
    text.map(|t| t.replace("\r\n", "\n")).unwrap_or_default()
}

/// `<a@b>` → `a@b`; `<>` → ``.
fn strip_angles(path: &str) -> &str {
    let path = path.trim();
    path.strip_prefix('<')
        .and_then(|p| p.strip_suffix('>'))
        .unwrap_or(path)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> InboundMessage {
        InboundMessage::parse(raw.as_bytes()).expect("a readable message")
    }

    #[test]
    fn plain_message_gives_address_subject_and_text() {
        let m = parse(
            "From: \"Jane Roe\" <jane@vendor.example>\r\nTo: x@leads.example\r\nSubject: New lead\r\n\r\nName: John Smith\r\nPhone: 801-555-1234\r\n",
        );
        assert_eq!(m.from.as_deref(), Some("jane@vendor.example"));
        assert_eq!(m.subject, "New lead");
        assert_eq!(m.text, "Name: John Smith\nPhone: 801-555-1234\n");
    }

    #[test]
    fn multipart_alternative_takes_the_plain_part() {
        let m = parse(concat!(
            "From: a@b.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n",
            "Content-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n",
            "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nName: Plain Person\r\n",
            "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Name: Html Person</p>\r\n",
            "--XX--\r\n"
        ));
        assert_eq!(m.text.trim(), "Name: Plain Person");
    }

    #[test]
    fn html_only_message_is_turned_into_text() {
        let m = parse(concat!(
            "From: a@b.example\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n",
            "<html><body><p>Name: <b>Ann</b> Lee</p><p>City: Smith &amp; Sons</p>",
            "<script>var x = 1;</script></body></html>\r\n"
        ));
        assert!(m.text.contains("Name: Ann Lee"), "{:?}", m.text);
        assert!(m.text.contains("City: Smith & Sons"), "{:?}", m.text);
        assert!(!m.text.contains("var x"), "{:?}", m.text);
    }

    #[test]
    fn html_table_rows_stay_on_one_line_each() {
        let text = html_to_text(
            "<table><tr><td>Name:</td><td>Ann Lee</td></tr><tr><td>Phone:</td><td>8015551234</td></tr></table>",
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Name:") && l.contains("Ann Lee")),
            "{text:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Phone:") && l.contains("8015551234")),
            "{text:?}"
        );
    }

    #[test]
    fn quoted_printable_body_is_decoded() {
        let m = parse(concat!(
            "From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
            "Name: Ren=C3=A9e Dupont\r\nNotes: a very long line that is soft=\r\n broken\r\n"
        ));
        assert!(m.text.contains("Name: Renée Dupont"), "{:?}", m.text);
        assert!(m.text.contains("soft broken"), "{:?}", m.text);
    }

    #[test]
    fn base64_body_is_decoded() {
        let m = parse(concat!(
            "From: a@b.example\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\n",
            "Content-Transfer-Encoding: base64\r\n\r\n",
            "TmFtZTogSm9obiBTbWl0aA==\r\n"
        ));
        assert_eq!(m.text.trim(), "Name: John Smith");
    }

    #[test]
    fn encoded_word_subject_and_sender_are_decoded() {
        let m = parse(concat!(
            "From: =?UTF-8?Q?Ren=C3=A9e?= <renee@vendor.example>\r\n",
            "Subject: =?UTF-8?B?TmV3IGxlYWQg4oCUIFJlbsOpZQ==?=\r\n\r\nbody\r\n"
        ));
        assert_eq!(m.from.as_deref(), Some("renee@vendor.example"));
        assert_eq!(m.subject, "New lead — Renée");
    }

    #[test]
    fn eight_bit_headers_are_read_not_refused() {
        let mut raw = b"From: b@c.example\r\nSubject: Caf".to_vec();
        raw.extend_from_slice(&[0xC3, 0xA9, b' ', 0xFF, 0xFE]);
        raw.extend_from_slice(b"\r\n\r\nName: X\r\n");
        let m = InboundMessage::parse(&raw).expect("readable");
        assert!(m.subject.starts_with("Caf"));
        assert_eq!(m.text.trim(), "Name: X");
    }

    #[test]
    fn attachments_are_not_part_of_the_text() {
        let m = parse(concat!(
            "From: a@b.example\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n",
            "--B\r\nContent-Type: text/plain\r\n\r\nName: Kept\r\n",
            "--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n",
            "Name: Attached\r\n",
            "--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n",
            "Content-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0xLjQ=\r\n--B--\r\n"
        ));
        assert!(m.text.contains("Name: Kept"));
        assert!(!m.text.contains("Attached"), "{:?}", m.text);
    }

    #[test]
    fn broken_mime_never_panics() {
        let samples: [&[u8]; 6] = [
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
            b"From: <\r\nSubject: =?UTF-8?B?####?=\r\n\r\n",
            b"Content-Type: multipart/alternative; boundary=Z\r\n\r\n--Z\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
            b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=",
            b"\x00\x01\x02\xff\xfe\r\n\r\n",
            b"Subject: only headers",
        ];
        for raw in samples {
            let _ = InboundMessage::parse(raw);
        }
    }

    #[test]
    fn empty_body_is_refused() {
        assert_eq!(InboundMessage::parse(b" \r\n"), Err(MessageError::Empty));
    }

    #[test]
    fn automation_headers_are_read() {
        let m = parse(concat!(
            "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nAuto-Submitted: auto-replied\r\n",
            "Precedence: bulk\r\nSubject: Undeliverable\r\n",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n",
            "--R\r\nContent-Type: text/plain\r\n\r\nIt bounced.\r\n--R--\r\n"
        ));
        assert_eq!(m.automation.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(m.automation.precedence.as_deref(), Some("bulk"));
        assert_eq!(m.automation.return_path.as_deref(), Some(""));
        assert!(m.automation.is_report);
    }

    #[test]
    fn envelope_sender_overrides_the_return_path_header() {
        let m = parse("Return-Path: <a@b.example>\r\nFrom: a@b.example\r\n\r\nx\r\n")
            .with_envelope_sender("<>");
        assert_eq!(m.automation.return_path.as_deref(), Some(""));
    }

    #[test]
    fn address_of_reads_a_display_name_form() {
        assert_eq!(
            address_of("\"Bob B\" <bob@example.com>").as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(
            address_of("bob@example.com").as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(address_of(""), None);
    }
}
