//! The owner text message through an HTTP SMS gateway: a JSON body rendered from
//! `notify.sms_body` (the webhook template engine, over the webhook context plus
//! `to` and `text`), POSTed to `notify.sms_url` with `notify.sms_auth_header`. The
//! delivery worker sends it with its HTTP client (address guard, timeout) and
//! classifies the answer as it does a webhook's (Retry-After included).

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde_json::Value;

use crate::actions::template;
use crate::config::NotifySettings;
use crate::store::DeliveryContext;

use super::{LeadSummary, NotifyError};

/// The longest `text` handed to the template, in characters.
const TEXT_CHARS: usize = 300;

/// The body sent when `notify.sms_body` is empty.
const DEFAULT_BODY: &str = r#"{"to": "{{ to }}", "text": "{{ text }}"}"#;

/// A configured SMS gateway.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) url: reqwest::Url,
    pub(crate) auth: Option<(HeaderName, HeaderValue)>,
    pub(crate) body: Value,
}

impl Gateway {
    /// Parse the gateway settings (the URL is known to be non-empty).
    pub fn parse(settings: &NotifySettings) -> Result<Self, NotifyError> {
        let url = reqwest::Url::parse(settings.sms_url.trim()).map_err(|_| NotifyError::SmsUrl)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NotifyError::SmsUrl);
        }
        let auth = parse_auth_header(&settings.sms_auth_header)?;
        let source = match settings.sms_body.trim() {
            "" => DEFAULT_BODY,
            s => s,
        };
        let body: Value =
            serde_json::from_str(source).map_err(|e| NotifyError::SmsBody(e.to_string()))?;
        if let Some(problem) = template::check_body(&body).into_iter().next() {
            return Err(NotifyError::SmsBody(format!(
                "{}: {}",
                problem.field, problem.reason
            )));
        }
        Ok(Gateway { url, auth, body })
    }
}

/// `Name: value` when what precedes the first `:` is a header name, otherwise the
/// whole text is the `Authorization` value; empty means no header. The value is
/// marked sensitive.
pub fn parse_auth_header(text: &str) -> Result<Option<(HeaderName, HeaderValue)>, NotifyError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (name, value) = match text.split_once(':') {
        Some((name, value)) if HeaderName::from_bytes(name.trim_end().as_bytes()).is_ok() => {
            let name = HeaderName::from_bytes(name.trim_end().as_bytes())
                .map_err(|_| NotifyError::SmsAuthHeader)?;
            (name, value.trim())
        }
        _ => (AUTHORIZATION, text),
    };
    let mut value = HeaderValue::from_str(value).map_err(|_| NotifyError::SmsAuthHeader)?;
    value.set_sensitive(true);
    Ok(Some((name, value)))
}

/// The short message: `New lead: Ann Lee (Website) 8015551234 ann@example.com`.
pub fn text(summary: &LeadSummary) -> String {
    let mut text = summary.headline();
    for (label, value) in &summary.fields {
        if label == "Phone" || label == "Email" {
            text.push(' ');
            text.push_str(&super::one_line(value));
        }
    }
    text.chars().take(TEXT_CHARS).collect()
}

/// The JSON body for the owner's phone `to`.
pub fn payload(gateway: &Gateway, dc: &DeliveryContext, to: &str) -> Result<Vec<u8>, String> {
    let mut context = template::context(dc);
    if let Value::Object(map) = &mut context {
        map.insert("to".into(), Value::String(to.to_string()));
        map.insert("text".into(), Value::String(text(&LeadSummary::of(dc))));
    }
    let body = template::render_body(&gateway.body, &context).map_err(|e| e.to_string())?;
    serde_json::to_vec(&body).map_err(|e| format!("cannot encode the body: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_header_is_sent_under_its_name() {
        let (name, value) = parse_auth_header("X-Api-Key: k1:k2")
            .expect("parses")
            .expect("a header");
        assert_eq!(name.as_str(), "x-api-key");
        assert_eq!(value.to_str().expect("ascii"), "k1:k2");
        assert!(value.is_sensitive());
    }

    #[test]
    fn a_bare_value_is_the_authorization_header() {
        let (name, value) = parse_auth_header("Bearer abc:def")
            .expect("parses")
            .expect("a header");
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value.to_str().expect("ascii"), "Bearer abc:def");
        assert_eq!(parse_auth_header("  ").expect("parses"), None);
    }

    #[test]
    fn a_header_value_with_a_line_break_is_refused() {
        assert!(parse_auth_header("Authorization: a\nb").is_err());
    }

    #[test]
    fn the_text_names_the_lead_its_source_and_how_to_reach_it() {
        let summary = LeadSummary {
            name: "Ann Lee".into(),
            source: "web form".into(),
            account: "Acme".into(),
            fields: vec![
                ("Phone".into(), "8015551234".into()),
                ("City".into(), "Provo".into()),
                ("Email".into(), "ann@example.com".into()),
            ],
        };
        assert_eq!(
            text(&summary),
            "New lead: Ann Lee (web form) 8015551234 ann@example.com"
        );
    }
}
