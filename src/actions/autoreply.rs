//! The autoresponder of a lead source (DESIGN.md §12): a subject and a plain-text body, both
//! minijinja templates over the same context as webhook bodies, mailed to each new accepted,
//! non-spam lead that gave an email. Parsed here once from the admin API's JSON; the delivery
//! worker renders and sends it (`src/delivery/autoreply.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldProblem;
use super::template::{self, RenderError};

/// The longest subject sent, in characters (a longer one is cut).
const SUBJECT_CHARS: usize = 200;
/// The longest template kept, in characters.
const TEMPLATE_CHARS: usize = 65_535;

/// A lead source's autoresponder as stored and read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Autoresponder {
    /// A minijinja template; rendered on one line.
    pub subject: String,
    /// A minijinja template; the text/plain body.
    pub body: String,
}

/// `autoresponder` as posted: `{subject, body}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoresponderRequest {
    #[schema(min_length = 1)]
    pub subject: Option<String>,
    #[schema(min_length = 1)]
    pub body: Option<String>,
}

/// One template: required, bounded, and parsing.
fn check(field: &str, source: Option<&str>, problems: &mut Vec<FieldProblem>) -> String {
    let source = source.unwrap_or_default();
    if source.trim().is_empty() {
        problems.push(FieldProblem::new(field, "is required"));
    } else if source.chars().count() > TEMPLATE_CHARS {
        problems.push(FieldProblem::new(field, "at most 65535 characters"));
    } else if let Some(problem) = template::check_text(field, source) {
        problems.push(problem);
    }
    source.to_string()
}

impl AutoresponderRequest {
    /// Check both templates; every problem names `autoresponder.subject` or `autoresponder.body`.
    pub fn prepare(self) -> Result<Autoresponder, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let subject = check(
            "autoresponder.subject",
            self.subject.as_deref(),
            &mut problems,
        );
        let body = check("autoresponder.body", self.body.as_deref(), &mut problems);
        if problems.is_empty() {
            Ok(Autoresponder { subject, body })
        } else {
            Err(problems)
        }
    }
}

/// A rendered autoreply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReply {
    /// One line, at most 200 characters.
    pub subject: String,
    pub body: String,
}

impl Autoresponder {
    /// Render subject and body over a webhook context.
    pub fn render(&self, context: &Value) -> Result<RenderedReply, RenderError> {
        let subject = template::render_text("autoresponder.subject", &self.subject, context)?;
        let body = template::render_text("autoresponder.body", &self.body, context)?;
        let subject = subject
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(SUBJECT_CHARS)
            .collect();
        Ok(RenderedReply { subject, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(subject: Option<&str>, body: Option<&str>) -> AutoresponderRequest {
        AutoresponderRequest {
            subject: subject.map(str::to_string),
            body: body.map(str::to_string),
        }
    }

    #[test]
    fn both_templates_are_required() {
        let problems = request(None, Some(" ")).prepare().expect_err("invalid");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["autoresponder.subject", "autoresponder.body"]);
    }

    #[test]
    fn a_template_that_does_not_parse_is_named() {
        let problems = request(Some("Hi {{ client.firstName"), Some("ok"))
            .prepare()
            .expect_err("invalid");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, "autoresponder.subject");
        assert!(problems[0].reason.contains("does not parse"));
    }

    #[test]
    fn the_subject_renders_on_one_line_and_the_body_as_written() {
        let reply = request(
            Some("Thanks,\r\n{{ client.firstName }}!"),
            Some("Hello {{ client.firstName }} <&>\n\nWe call soon."),
        )
        .prepare()
        .expect("valid")
        .render(&json!({"client": {"firstName": "Ann"}}))
        .expect("renders");
        assert_eq!(reply.subject, "Thanks, Ann!");
        assert_eq!(reply.body, "Hello Ann <&>\n\nWe call soon.");
    }
}
