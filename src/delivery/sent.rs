//! A webhook request as it was sent, for showing to the account's owner (the console's "test
//! send"): method, URL and headers with their secrets masked as in a webhook listing
//! ([`crate::mask`]), the standard `webhook-*` headers shown as they are, and the body as text.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::mask::{mask_headers, mask_url};

/// The headers every webhook carries; none of them is a secret.
const STANDARD_HEADERS: &[&str] = &["webhook-id", "webhook-timestamp", "webhook-signature"];

/// A sent request, secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    /// Header name and value pairs in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for bytes that are not UTF-8); empty without one.
    pub body: String,
}

impl SentRequest {
    /// The request `request`, masked.
    pub fn of(request: &reqwest::Request) -> Self {
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), masked(name.as_str(), value))
            })
            .collect();
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        SentRequest {
            method: request.method().as_str().to_string(),
            url: mask_url(request.url().as_str()),
            headers,
            body,
        }
    }
}

/// One header's value as shown.
fn masked(name: &str, value: String) -> String {
    if STANDARD_HEADERS.contains(&name) {
        return value;
    }
    let mut one = Map::new();
    one.insert(name.to_string(), Value::String(value));
    match mask_headers(Value::Object(one)) {
        Value::Object(map) => map
            .into_iter()
            .next()
            .and_then(|(_, v)| v.as_str().map(String::from))
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_url_and_headers_are_masked_and_the_body_is_kept() {
        let client = reqwest::Client::new();
        let request = client
            .post("https://example.com/hook?token=abc")
            .header("Authorization", "Bearer secret")
            .header("Content-Type", "application/json")
            .header("webhook-id", "msg_1")
            .body("{\"a\":1}")
            .build()
            .expect("request");
        let sent = SentRequest::of(&request);
        assert_eq!(sent.method, "POST");
        assert!(!sent.url.contains("abc"), "query values are masked");
        let header = |n: &str| {
            sent.headers
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("authorization").as_deref(), Some("Bearer ********"));
        assert_eq!(header("content-type").as_deref(), Some("application/json"));
        assert_eq!(header("webhook-id").as_deref(), Some("msg_1"));
        assert_eq!(sent.body, "{\"a\":1}");
    }
}
