//! Action plans and webhooks as an account owner defines them: a webhook request
//! (plain, the `acculynx` preset, or a chat preset `slack` / `discord`) and an action plan request are parsed here,
//! once, into what the store keeps; the body templates and the preset's mapping
//! that the delivery worker renders live here too. The admin API and the CLI are
//! thin wrappers around [`WebhookRequest::prepare`] and [`ActionPlanRequest::prepare`].

pub mod acculynx;
pub mod autoreply;
pub mod chat;
pub mod template;

use base64::Engine;
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub use crate::fields::FieldProblem;
use crate::store::{NewActionPlan, NewWebhook, PlanStep};

/// Methods a webhook may use.
const METHODS: [&str; 5] = ["POST", "PUT", "PATCH", "GET", "DELETE"];
/// Headers the service sets itself on every webhook request.
const RESERVED_HEADERS: [&str; 7] = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
];
const NAME_LIMIT: usize = 255;
const URL_LIMIT: usize = 2048;
/// Longest delay of a plan step: a year.
const MAX_DELAY_SECONDS: i64 = 366 * 24 * 3600;
const MAX_STEPS: usize = 100;

/// `POST /admin/v1/accounts/{id}/webhooks`: `{name, url?, method?, headers?, body?,
/// secret?, preset?, api_key?}` (docs/admin-api.md).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct WebhookRequest {
    #[schema(min_length = 1)]
    pub name: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    /// An object `{name: value}` of strings.
    #[schema(value_type = Option<Object>)]
    pub headers: Option<Value>,
    /// A JSON value whose string leaves are minijinja templates.
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    /// A `whsec_...` secret, or `true` to have one made (returned once).
    #[schema(value_type = Option<Object>)]
    pub secret: Option<Value>,
    pub preset: Option<String>,
    pub api_key: Option<String>,
    /// The `slack` / `discord` presets' message, a minijinja template (default in docs/admin-api.md).
    pub message: Option<String>,
}

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn generate_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The key bytes of a `whsec_` secret, if it is one.
pub fn secret_key(secret: &str) -> Option<Vec<u8>> {
    let encoded = secret.strip_prefix("whsec_")?;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .filter(|k| !k.is_empty())
}

fn check_url(url: &str, problems: &mut Vec<FieldProblem>) -> Option<String> {
    let url = url.trim();
    if url.chars().count() > URL_LIMIT {
        problems.push(FieldProblem::new("url", "at most 2048 characters"));
        return None;
    }
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Some(parsed.to_string())
        }
        Ok(_) => {
            problems.push(FieldProblem::new(
                "url",
                "must be an http:// or https:// URL with a host",
            ));
            None
        }
        Err(e) => {
            problems.push(FieldProblem::new("url", format!("not a URL: {e}")));
            None
        }
    }
}

fn check_headers(headers: &Value, problems: &mut Vec<FieldProblem>) -> Map<String, Value> {
    let Value::Object(map) = headers else {
        problems.push(FieldProblem::new(
            "headers",
            "must be an object of header names to string values",
        ));
        return Map::new();
    };
    let mut out = Map::new();
    for (name, value) in map {
        let field = format!("headers.{name}");
        let Value::String(value) = value else {
            problems.push(FieldProblem::new(field, "must be a string"));
            continue;
        };
        if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            problems.push(FieldProblem::new(field, "not a valid header name"));
        } else if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            problems.push(FieldProblem::new(field, "is set by leadpost itself"));
        } else if axum::http::HeaderValue::from_str(value).is_err() {
            problems.push(FieldProblem::new(field, "not a valid header value"));
        } else {
            out.insert(name.clone(), Value::String(value.clone()));
        }
    }
    out
}

impl WebhookRequest {
    /// Check everything and build the webhook to store, with the secret made for
    /// `secret: true` (to be shown once), or every problem found.
    pub fn prepare(self) -> Result<(NewWebhook, Option<String>), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", "is required"));
        } else if name.chars().count() > NAME_LIMIT {
            problems.push(FieldProblem::new("name", "at most 255 characters"));
        }
        let (secret, generated) = match &self.secret {
            None | Some(Value::Null) | Some(Value::Bool(false)) => (None, None),
            Some(Value::Bool(true)) => {
                let s = generate_secret();
                (Some(s.clone()), Some(s))
            }
            Some(Value::String(s)) if secret_key(s.trim()).is_some() => {
                (Some(s.trim().to_string()), None)
            }
            Some(_) => {
                problems.push(FieldProblem::new(
                    "secret",
                    "must be true or a secret of the form whsec_<base64>",
                ));
                (None, None)
            }
        };
        let mut headers = match &self.headers {
            Some(h) if !h.is_null() => check_headers(h, &mut problems),
            _ => Map::new(),
        };
        let preset = self
            .preset
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let (preset, url, method, body) = match preset {
            Some(p) if p.eq_ignore_ascii_case(acculynx::PRESET) => {
                if self.message.is_some() {
                    problems.push(FieldProblem::new(
                        "message",
                        "only used with the slack and discord presets",
                    ));
                }
                let key = self.api_key.as_deref().map(str::trim).unwrap_or_default();
                if key.is_empty() {
                    problems.push(FieldProblem::new(
                        "api_key",
                        "is required with the acculynx preset",
                    ));
                } else if axum::http::HeaderValue::from_str(key).is_err() {
                    problems.push(FieldProblem::new("api_key", "not a valid header value"));
                }
                if self
                    .method
                    .as_deref()
                    .is_some_and(|m| !m.trim().eq_ignore_ascii_case("POST"))
                {
                    problems.push(FieldProblem::new(
                        "method",
                        "the acculynx preset always POSTs",
                    ));
                }
                if self.body.as_ref().is_some_and(|b| !b.is_null()) {
                    problems.push(FieldProblem::new(
                        "body",
                        "the acculynx preset makes its own body",
                    ));
                }
                // Header overrides merge with the preset's by name.
                let overrides_auth = headers
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case("authorization"));
                if !overrides_auth {
                    headers.insert(
                        "Authorization".into(),
                        Value::String(format!("Bearer {key}")),
                    );
                }
                let url = match self.url.as_deref().filter(|u| !u.trim().is_empty()) {
                    Some(u) => check_url(u, &mut problems),
                    None => Some(acculynx::DEFAULT_URL.to_string()),
                };
                (
                    Some(acculynx::PRESET.to_string()),
                    url,
                    "POST".to_string(),
                    None,
                )
            }
            Some(p) if chat::ChatPreset::from_name(&p.to_ascii_lowercase()).is_some() => {
                let preset = chat::ChatPreset::from_name(&p.to_ascii_lowercase());
                let (url, body) = self.prepare_chat(&mut problems);
                (
                    preset.map(|c| c.name().to_string()),
                    url,
                    "POST".to_string(),
                    body,
                )
            }
            Some(_) => {
                problems.push(FieldProblem::new(
                    "preset",
                    "unknown preset (known: acculynx, slack, discord)",
                ));
                (None, None, "POST".to_string(), None)
            }
            None => {
                if self.api_key.is_some() {
                    problems.push(FieldProblem::new("api_key", "only used with a preset"));
                }
                if self.message.is_some() {
                    problems.push(FieldProblem::new(
                        "message",
                        "only used with the slack and discord presets",
                    ));
                }
                let url = match self.url.as_deref().filter(|u| !u.trim().is_empty()) {
                    Some(u) => check_url(u, &mut problems),
                    None => {
                        problems.push(FieldProblem::new("url", "is required"));
                        None
                    }
                };
                let method = self
                    .method
                    .as_deref()
                    .map(|m| m.trim().to_ascii_uppercase())
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| "POST".to_string());
                if !METHODS.contains(&method.as_str()) {
                    problems.push(FieldProblem::new(
                        "method",
                        "must be POST, PUT, PATCH, GET or DELETE",
                    ));
                }
                let body = self.body.filter(|b| !b.is_null());
                if let Some(body) = &body {
                    problems.extend(template::check_body(body));
                }
                (None, url, method, body)
            }
        };
        match url {
            Some(url) if problems.is_empty() => Ok((
                NewWebhook {
                    name: name.to_string(),
                    preset,
                    url,
                    method,
                    headers: Value::Object(headers),
                    body,
                    secret,
                },
                generated,
            )),
            _ => Err(problems),
        }
    }
}

impl WebhookRequest {
    /// A chat preset's URL (required) and its message template, kept as the webhook's body (a
    /// JSON string); the method is always POST and the body is the preset's own.
    fn prepare_chat(&self, problems: &mut Vec<FieldProblem>) -> (Option<String>, Option<Value>) {
        if self.api_key.is_some() {
            problems.push(FieldProblem::new(
                "api_key",
                "only used with the acculynx preset",
            ));
        }
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.trim().eq_ignore_ascii_case("POST"))
        {
            problems.push(FieldProblem::new("method", "a chat preset always POSTs"));
        }
        if self.body.as_ref().is_some_and(|b| !b.is_null()) {
            problems.push(FieldProblem::new(
                "body",
                "a chat preset makes its own body from `message`",
            ));
        }
        let url = match self.url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(u) => check_url(u, problems),
            None => {
                problems.push(FieldProblem::new("url", "is required"));
                None
            }
        };
        let message = self
            .message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(chat::DEFAULT_MESSAGE);
        problems.extend(chat::check_message(message));
        (url, Some(Value::String(message.to_string())))
    }
}

/// One step of an action plan request.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct StepRequest {
    pub webhook_id: Uuid,
    #[serde(default, deserialize_with = "crate::fields::json_integer")]
    #[schema(minimum = 0, maximum = 31_622_400)]
    pub delay_seconds: i64,
}

/// `POST /admin/v1/accounts/{id}/action-plans`: `{name, steps: [{webhook_id, delay_seconds}]}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ActionPlanRequest {
    #[schema(min_length = 1)]
    pub name: Option<String>,
    #[serde(default)]
    pub steps: Vec<StepRequest>,
}

impl ActionPlanRequest {
    /// Check the name and steps (the webhooks' ownership is the store's check).
    pub fn prepare(self) -> Result<NewActionPlan, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            problems.push(FieldProblem::new("name", "is required"));
        } else if name.chars().count() > NAME_LIMIT {
            problems.push(FieldProblem::new("name", "at most 255 characters"));
        }
        if self.steps.len() > MAX_STEPS {
            problems.push(FieldProblem::new("steps", "at most 100 steps"));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if !(0..=MAX_DELAY_SECONDS).contains(&step.delay_seconds) {
                problems.push(FieldProblem::new(
                    format!("steps[{i}].delay_seconds"),
                    "must be between 0 and 31622400 (a year)",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(NewActionPlan {
            name: name.to_string(),
            steps: self
                .steps
                .iter()
                .map(|s| PlanStep {
                    webhook_id: s.webhook_id,
                    delay_seconds: s.delay_seconds,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: Value) -> WebhookRequest {
        serde_json::from_value(v).expect("deserializes")
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_plain_webhook_defaults_to_post() {
        let (hook, secret) = request(json!({
            "name": "CRM", "url": "https://example.com/hook",
            "headers": {"X-Key": "abc"}, "body": {"n": "{{ client.firstName }}", "k": 1}
        }))
        .prepare()
        .expect("valid");
        assert_eq!(hook.method, "POST");
        assert_eq!(hook.headers, json!({"X-Key": "abc"}));
        assert!(secret.is_none() && hook.secret.is_none());
    }

    #[test]
    fn secret_true_makes_a_whsec_secret_returned_once() {
        let (hook, secret) = request(json!({"name": "a", "url": "https://e.com", "secret": true}))
            .prepare()
            .expect("valid");
        let secret = secret.expect("generated");
        assert!(secret.starts_with("whsec_"));
        assert_eq!(hook.secret.as_deref(), Some(secret.as_str()));
        assert_eq!(secret_key(&secret).map(|k| k.len()), Some(32));
    }

    #[test]
    fn every_problem_is_named() {
        let problems = request(json!({
            "url": "ftp://e.com", "method": "TRACE", "headers": {"X": 1},
            "body": {"a": "{% if %}"}, "secret": "nope"
        }))
        .prepare()
        .expect_err("invalid");
        assert_eq!(
            fields(&problems),
            vec!["name", "secret", "headers.X", "url", "method", "body.a"]
        );
    }

    #[test]
    fn the_acculynx_preset_needs_an_api_key_and_keeps_its_method_and_body() {
        let problems = request(json!({
            "name": "AL", "preset": "acculynx", "method": "PUT", "body": {"a": "b"}
        }))
        .prepare()
        .expect_err("invalid");
        assert_eq!(fields(&problems), vec!["api_key", "method", "body"]);
    }

    #[test]
    fn the_acculynx_preset_fills_url_and_authorization_and_merges_header_overrides() {
        let (hook, _) = request(json!({
            "name": "AL", "preset": "acculynx", "api_key": "K1", "headers": {"X-Trace": "1"}
        }))
        .prepare()
        .expect("valid");
        assert_eq!(hook.url, acculynx::DEFAULT_URL);
        assert_eq!(hook.preset.as_deref(), Some("acculynx"));
        assert_eq!(
            hook.headers,
            json!({"Authorization": "Bearer K1", "X-Trace": "1"})
        );
        let (hook, _) = request(json!({
            "name": "AL", "preset": "acculynx", "api_key": "K1",
            "url": "http://127.0.0.1:9/leads", "headers": {"authorization": "Bearer other"}
        }))
        .prepare()
        .expect("valid");
        assert_eq!(hook.url, "http://127.0.0.1:9/leads");
        assert_eq!(hook.headers, json!({"authorization": "Bearer other"}));
    }

    #[test]
    fn a_chat_preset_needs_a_url_and_keeps_its_message_as_the_body() {
        let problems = request(json!({"name": "Team", "preset": "slack"}))
            .prepare()
            .expect_err("invalid");
        assert_eq!(fields(&problems), vec!["url"]);
        let (hook, _) = request(json!({
            "name": "Team", "preset": "discord", "url": "http://127.0.0.1:9/hook"
        }))
        .prepare()
        .expect("valid");
        assert_eq!(hook.preset.as_deref(), Some("discord"));
        assert_eq!(hook.method, "POST");
        assert_eq!(hook.body, Some(json!(chat::DEFAULT_MESSAGE)));
    }

    #[test]
    fn a_chat_preset_refuses_a_message_that_does_not_parse_and_a_body() {
        let problems = request(json!({
            "name": "Team", "preset": "slack", "url": "https://e.com/h",
            "message": "{{ client.firstName", "body": {"a": "b"}, "method": "PUT"
        }))
        .prepare()
        .expect_err("invalid");
        assert_eq!(fields(&problems), vec!["method", "body", "message"]);
    }

    #[test]
    fn a_message_is_only_for_chat_presets() {
        let problems = request(json!({"name": "a", "url": "https://e.com", "message": "hi"}))
            .prepare()
            .expect_err("invalid");
        assert_eq!(fields(&problems), vec!["message"]);
    }

    #[test]
    fn plan_delays_must_be_within_a_year() {
        let problems = ActionPlanRequest {
            name: Some("p".into()),
            steps: vec![StepRequest {
                webhook_id: Uuid::nil(),
                delay_seconds: -1,
            }],
        }
        .prepare()
        .expect_err("invalid");
        assert_eq!(fields(&problems), vec!["steps[0].delay_seconds"]);
    }
}
