//! Chat presets: a webhook that posts one message to a team chat. Slack's
//! incoming webhooks take `{"text": ...}` (cut at 40,000 characters), Discord's
//! take `{"content": ...}` (cut at 2,000). The message is a template over the
//! same context as webhook bodies, rendered by the body template helpers.

use serde_json::{Map, Value};

use crate::fields::truncate_chars;

use super::FieldProblem;
use super::template::{self, RenderError};

/// The message a chat preset sends when the owner gives none.
pub const DEFAULT_MESSAGE: &str =
    "New lead: {{ client.firstName }} {{ client.lastName }} {{ client.email }} {{ client.phone }}";

/// A team chat a preset posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatPreset {
    Slack,
    Discord,
}

impl ChatPreset {
    /// The preset named `name` (`slack`, `discord`), if it is a chat preset.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "slack" => Some(Self::Slack),
            "discord" => Some(Self::Discord),
            _ => None,
        }
    }

    /// The preset's name, as a webhook request gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
        }
    }

    /// The JSON key the chat reads the message from.
    pub fn message_key(self) -> &'static str {
        match self {
            Self::Slack => "text",
            Self::Discord => "content",
        }
    }

    /// The longest message the chat takes, in characters.
    pub fn max_chars(self) -> usize {
        match self {
            Self::Slack => 40_000,
            Self::Discord => 2_000,
        }
    }

    /// The request body for an already rendered message, cut to the chat's limit.
    pub fn body(self, message: &str) -> Value {
        let mut body = Map::new();
        body.insert(
            self.message_key().into(),
            Value::String(truncate_chars(message, self.max_chars()).to_owned()),
        );
        Value::Object(body)
    }

    /// Render `message` (a template) over a webhook context into the request body.
    /// A message that renders empty is sent as an empty message.
    pub fn render(self, message: &str, context: &Value) -> Result<Value, RenderError> {
        let rendered = template::render_body(&Value::String(message.to_owned()), context)?;
        Ok(self.body(rendered.as_str().unwrap_or_default()))
    }
}

/// Whether `message` parses as a template: its problems, named `message`.
pub fn check_message(message: &str) -> Vec<FieldProblem> {
    template::check_body(&Value::String(message.to_owned()))
        .into_iter()
        .map(|problem| FieldProblem::new("message", problem.reason))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Value {
        json!({
            "client": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
                       "phone": "8015550102"},
            "custom": {},
            "tags": [],
            "lead_source": {"id": "s", "name": "Website"},
            "account": {"id": "a", "name": "Acme"},
        })
    }

    #[test]
    fn slack_gets_the_default_message_as_text() {
        let body = ChatPreset::Slack
            .render(DEFAULT_MESSAGE, &ctx())
            .expect("renders");
        assert_eq!(
            body,
            json!({"text": "New lead: Ann Lee ann@example.com 8015550102"})
        );
    }

    #[test]
    fn discord_gets_the_message_as_content() {
        let body = ChatPreset::Discord
            .render("{{ client.firstName }} via {{ lead_source.name }}", &ctx())
            .expect("renders");
        assert_eq!(body, json!({"content": "Ann via Website"}));
    }

    #[test]
    fn absent_fields_render_empty() {
        let mut context = ctx();
        context["client"] = json!({"firstName": "Bea"});
        let body = ChatPreset::Slack
            .render(DEFAULT_MESSAGE, &context)
            .expect("renders");
        assert_eq!(body["text"], "New lead: Bea   ");
    }

    #[test]
    fn a_message_rendering_empty_is_sent_empty() {
        let body = ChatPreset::Discord
            .render("{{ client.missing }}", &ctx())
            .expect("renders");
        assert_eq!(body, json!({"content": ""}));
    }

    #[test]
    fn nothing_is_html_escaped() {
        let mut context = ctx();
        context["client"]["firstName"] = json!("<Ann & \"Co\">");
        let body = ChatPreset::Slack
            .render("{{ client.firstName }}", &context)
            .expect("renders");
        assert_eq!(body["text"], "<Ann & \"Co\">");
    }

    #[test]
    fn slack_text_is_cut_at_forty_thousand_characters() {
        let body = ChatPreset::Slack.body(&"é".repeat(40_001));
        assert_eq!(
            body["text"].as_str().map(|s| s.chars().count()),
            Some(40_000)
        );
        let short = ChatPreset::Slack.body(&"a".repeat(40_000));
        assert_eq!(short["text"].as_str().map(str::len), Some(40_000));
    }

    #[test]
    fn discord_content_is_cut_at_two_thousand_characters() {
        let mut context = ctx();
        context["client"]["firstName"] = json!("x".repeat(5_000));
        let body = ChatPreset::Discord
            .render(DEFAULT_MESSAGE, &context)
            .expect("renders");
        assert_eq!(
            body["content"].as_str().map(|s| s.chars().count()),
            Some(2_000)
        );
        assert!(
            body["content"]
                .as_str()
                .is_some_and(|s| s.starts_with("New lead: xxx"))
        );
    }

    #[test]
    fn presets_are_named_slack_and_discord() {
        for preset in [ChatPreset::Slack, ChatPreset::Discord] {
            assert_eq!(ChatPreset::from_name(preset.name()), Some(preset));
        }
        assert_eq!(ChatPreset::from_name("acculynx"), None);
        assert_eq!(ChatPreset::from_name("Slack"), None);
    }

    #[test]
    fn the_default_message_parses() {
        assert!(check_message(DEFAULT_MESSAGE).is_empty());
    }

    #[test]
    fn a_message_that_does_not_parse_is_a_problem_named_message() {
        let problems = check_message("New lead: {{ client.firstName ");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "message");
        assert!(problems[0].reason.contains("does not parse"));
    }

    #[test]
    fn a_failing_render_is_an_error() {
        assert!(
            ChatPreset::Slack
                .render("{{ tags | no_such_filter }}", &ctx())
                .is_err()
        );
    }
}
